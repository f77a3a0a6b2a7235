/**
 * CT collector catch-up against a REAL RFC 6962 log (scripts/services/ctlog.sh: ct_server on
 * Trillian + MariaDB; `npm run bench -- ct` starts it), side by side with certspotter in the same run
 * on the same log and backlog. The log is first filled to --entries distinct certificates
 * (harness/ct-load.ts: add-chain from the log's test CA). Then, in alternating rounds:
 *   - certspotter 0.16 (Debian; obtained without root by apt-get download + dpkg -x into the cache,
 *     RFC 6962 only), fresh state directory, GOMAXPROCS=1, a watchlist that matches nothing: time
 *     from spawn until it logs that it finished downloading [0, size);
 *   - chainwatch's CT collector from index 0 with a fresh embedded bus (its cursor in the bus
 *     database, as the daemon runs it): download, full audit (rebuilt root against the signed tree
 *     head), parse, publish every entry: time until the verified position reaches the size, with
 *     this process's CPU and peak RSS sampled during the catch-up.
 * Both get 1000 entries per get-entries call. The figure is entries/s, chainwatch over certspotter
 * (median of paired rounds).
 *
 *   CHAINWATCH_TEST_CTLOG_URL=... npx tsx bench/ct.bench.ts [--entries 20000] [--rounds 3]
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { createCtCollector } from '../collectors/ct/index.js';
import { liveContext } from '../test/helpers/context.js';
import { ctTreeSize, fillCtLog } from './harness/ct-load.js';
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ENTRIES = arg('entries', 20_000);
const ROUNDS = arg('rounds', 3);
const url = process.env.CHAINWATCH_TEST_CTLOG_URL;
const caDir = process.env.CHAINWATCH_TEST_CTLOG_CA;
const pubPem = process.env.CHAINWATCH_TEST_CTLOG_PUBKEY;
if (!url || !caDir || !pubPem) throw new Error('CHAINWATCH_TEST_CTLOG_* are not set: start scripts/services/ctlog.sh (npm run bench -- ct does)');

/** certspotter 0.16 from Debian, unpacked into the cache without root (as scripts/services/softhsm.sh does). */
function certspotter(): string {
  const cache = join(process.env.CHAINWATCH_CACHE ?? join(homedir(), '.cache', 'chainwatch'), 'certspotter');
  const bin = join(cache, 'root', 'usr', 'bin', 'certspotter');
  if (existsSync(bin)) return bin;
  mkdirSync(cache, { recursive: true });
  execFileSync('apt-get', ['download', 'certspotter'], { cwd: cache, stdio: ['ignore', 'ignore', 'inherit'] });
  const deb = readdirSync(cache).find((f) => f.startsWith('certspotter_') && f.endsWith('.deb'));
  if (!deb) throw new Error('apt-get download certspotter left no .deb');
  execFileSync('dpkg', ['-x', join(cache, deb), join(cache, 'root')]);
  return bin;
}

const t0 = performance.now();
const size = await fillCtLog(url, caDir, ENTRIES, 32, (s) => console.error(`   ${s}`));
console.error(`   log holds ${size} entries (filled in ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
const keyPem = readFileSync(pubPem, 'utf8');
const der = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
const bin = certspotter();

/** One certspotter catch-up from 0 on a fresh state directory: entries/s and CPU µs per entry. */
async function spotter(): Promise<{ rate: number; cpu: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-certspotter-'));
  const list = {
    version: '3.0',
    operators: [
      {
        name: 'bench',
        email: ['bench@example.com'],
        logs: [
          {
            description: 'bench',
            log_id: createHash('sha256').update(der).digest('base64'),
            key: der.toString('base64'),
            url,
            mmd: 86400,
            state: { usable: { timestamp: '2026-01-01T00:00:00Z' } },
          },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'list.json'), JSON.stringify(list));
  writeFileSync(join(dir, 'watch'), 'nothing.matches.example\n');
  const start = performance.now();
  const child = spawn(
    bin,
    [
      '-logs',
      join(dir, 'list.json'),
      '-state_dir',
      join(dir, 'state'),
      '-watchlist',
      join(dir, 'watch'),
      '-no_save',
      '-stdout',
      '-verbose',
      '-batch_size',
      '1000',
    ],
    { env: { ...process.env, GOMAXPROCS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const finished = new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // "downloading entries ... in range [0, N)" then "finished downloading entries": the whole backlog.
      if (new RegExp(`in range \\[0, ${size}\\)[\\s\\S]*finished downloading entries`).test(err)) resolve(performance.now());
    });
    child.on('exit', () => reject(new Error(`certspotter exited early: ${err.slice(-2000)}`)));
  });
  const end = await finished;
  // utime + stime (fields 14, 15 of /proc/<pid>/stat, clock ticks of 10 ms).
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const cpuTicks = Number(stat[11]) + Number(stat[12]);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return { rate: size / ((end - start) / 1000), cpu: (cpuTicks * 10_000) / size };
}

/** One chainwatch catch-up from 0 on a fresh data directory: entries/s, CPU µs per entry, peak RSS. */
async function chainwatch(): Promise<{ rate: number; cpu: number; rss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-ct-bench-'));
  const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') });
  await bus.start();
  const state = bus.stateStore();
  const collector = createCtCollector(
    { url: url!, key: keyPem, start: 'beginning', pollInterval: '1h', batchSize: 1000, rateLimit: { requestsPerSecond: 10_000 } },
    liveContext(bus, state, dir),
  );
  let rss = process.memoryUsage.rss();
  const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage.rss())), 50);
  const c0 = process.cpuUsage();
  const start = performance.now();
  await collector.start();
  while ((collector.cursor()?.verified ?? 0) < size) await new Promise((r) => setTimeout(r, 10));
  const secs = (performance.now() - start) / 1000;
  const c = process.cpuUsage(c0);
  clearInterval(sampler);
  await collector.stop();
  await bus.stop();
  state.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: size / secs, cpu: (c.user + c.system) / size, rss: rss / 2 ** 20 };
}

await spotter(); // warm-up: the log's caches, the binary in the page cache
await chainwatch();
const cs: { rate: number; cpu: number }[] = [];
const cw: { rate: number; cpu: number; rss: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  cs.push(await spotter());
  cw.push(await chainwatch());
  console.error(`   round ${r + 1}: certspotter ${cs[r]!.rate.toFixed(0)}/s, chainwatch ${cw[r]!.rate.toFixed(0)}/s, peak RSS ${cw[r]!.rss.toFixed(0)} MB`);
}
if ((await ctTreeSize(url)) !== size) console.error('   note: the log grew during the run (measured on the first size)');
report(benchSpec('ct'), {
  entries: size,
  chainwatchRate: median(cw.map((s) => s.rate)),
  certspotterRate: median(cs.map((s) => s.rate)),
  pairedRatio: median(cw.map((s, i) => s.rate / cs[i]!.rate)),
  chainwatchCpu: median(cw.map((s) => s.cpu)),
  certspotterCpu: median(cs.map((s) => s.cpu)),
  peakRss: Math.max(...cw.map((s) => s.rss)),
});
