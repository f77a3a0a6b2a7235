/**
 * CT collector catch-up against a REAL RFC 6962 log (scripts/services/ctlog.sh: ct_server on
 * Trillian + MariaDB; `npm run bench -- ct` starts it), side by side with certspotter in the same run
 * on the same log and backlog.
 *
 * Backlog (harness/ct-load.ts): the first --addchain certificates go through ct_server's add-chain
 * (timed: what a CA's submissions cost here), the rest up to --entries are queued straight into its
 * Trillian tree by `ctlog.sh fill` (tools/ct-fill, timed). All distinct; the log is reused by every
 * round. Then, in alternating rounds on [0, size):
 *   - a raw reader (get-entries, answers read and dropped): the local log's own ceiling;
 *   - certspotter 0.16 (harness/ct-certspotter.ts), GOMAXPROCS=1;
 *   - chainwatch as the daemon runs it: `chainwatch run` from dist/ (a child process, embedded bus,
 *     only collectors.ct configured), the log followed from index 0: download, full audit, parse,
 *     publish every entry durably. Timed from spawn until /metrics shows ct_cursor_verified = size;
 *     its CPU and peak RSS (VmHWM) from /proc, V8's heap parts sampled from /metrics.
 * Finally `chainwatch ct backfill` over a range (its own process): CPU and wall per 100k entries.
 *
 *   CHAINWATCH_TEST_CTLOG_URL=... npx tsx bench/ct.bench.ts [--entries 200000] [--rounds 3]
 *     [--addchain 2000] [--batch 1000] [--concurrency 4] [--backfill 100000]
 */
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN, metricSum, startDaemon } from '../test/helpers/daemon-process.js';
import { certspotter, certspotterBin } from './harness/ct-certspotter.js';
import { procUsage } from './harness/machine.js';
import { ctTreeSize, fillCtLog, queueCtLog, rawReader } from './harness/ct-load.js';
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ENTRIES = arg('entries', 200_000);
const ROUNDS = arg('rounds', 3);
const ADD_CHAIN = arg('addchain', 2000);
const BATCH = arg('batch', 1000);
const CONCURRENCY = arg('concurrency', 4);
const BACKFILL = arg('backfill', 100_000);
/**
 * One more catch-up with another young-generation size (semi-space MiB; 0: none). The daemon's launcher
 * caps it at 8 (bin/chainwatch.js); the default 64 is V8's own maximum on the 23 GiB bench host, i.e. the
 * daemon as it ran before that cap: what the cap saves under a backlog.
 */
const SEMI = arg('semi', 64);
const url = process.env.CHAINWATCH_TEST_CTLOG_URL;
const caDir = process.env.CHAINWATCH_TEST_CTLOG_CA;
const pubPem = process.env.CHAINWATCH_TEST_CTLOG_PUBKEY;
const script = process.env.CHAINWATCH_TEST_CTLOG_SCRIPT;
if (!url || !caDir || !pubPem || !script) throw new Error('CHAINWATCH_TEST_CTLOG_* are not set: start scripts/services/ctlog.sh (npm run bench -- ct does)');
const log = (s: string): void => console.error(`   ${s}`);

// Backlog: an add-chain sample, then the bulk queued to Trillian; a log already that full is reused.
let addChainRate: number | undefined;
const size0 = await ctTreeSize(url);
if (size0 < ADD_CHAIN) {
  const t = performance.now();
  const s = await fillCtLog(url, caDir, ADD_CHAIN, 32, log);
  addChainRate = (s - size0) / ((performance.now() - t) / 1000);
  log(`add-chain: ${s - size0} certificates in the signed tree at ${addChainRate.toFixed(0)}/s`);
}
let queueRate: number | undefined;
const size1 = await ctTreeSize(url);
if (size1 < ENTRIES) {
  const t = performance.now();
  const s = await queueCtLog(url, script, ENTRIES - size1);
  queueRate = (s - size1) / ((performance.now() - t) / 1000);
  log(`ct-fill: ${s - size1} certificates queued and in the signed tree at ${queueRate.toFixed(0)}/s`);
}
const size = await ctTreeSize(url);
log(`log holds ${size} entries`);
const keyPem = readFileSync(pubPem, 'utf8');
const keyDer = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
const spotterBin = certspotterBin();

const logConfig = {
  url,
  api: 'rfc6962',
  key: keyPem,
  pollInterval: '1h',
  batchSize: BATCH,
  concurrency: CONCURRENCY,
  rateLimit: { requestsPerSecond: 10_000 },
};
const configFile = (dir: string, start: unknown): string => {
  const file = join(dir, 'chainwatch.yaml');
  // The audit sink (on by default) records every event in its own signed store: a cost of its own
  // (sinks/audit), not the collector's; certspotter keeps no such record either.
  const config = { bus: { kind: 'embedded' }, collectors: { ct: { logs: [{ ...logConfig, start }] } }, sinks: { audit: { enabled: false } } };
  writeFileSync(file, stringify(config));
  return file;
};

interface CwSample {
  rate: number;
  cpu: number;
  rss: number;
  heap: number;
  external: number;
  young: number;
}

/** One catch-up of `chainwatch run` from index 0 on a fresh data directory. */
async function chainwatch(nodeOptions: string[] = []): Promise<CwSample> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-ct-bench-'));
  const start = performance.now();
  // CT_BENCH_CPU_PROF=DIR: a V8 CPU profile of each daemon run (written when it exits on SIGTERM).
  const prof = process.env.CT_BENCH_CPU_PROF;
  const options = [...nodeOptions, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])];
  const env = options.length ? { NODE_OPTIONS: options.join(' ') } : {};
  const d = await startDaemon(['--config', configFile(dir, 'beginning'), '--data-dir', dir], env);
  const mib = 2 ** 20;
  let heap = 0;
  let external = 0;
  let young = 0;
  let end: number;
  for (;;) {
    const text = await (await fetch(`${d.url}/metrics`)).text();
    heap = Math.max(heap, metricSum(text, 'chainwatch_nodejs_heap_size_used_bytes') / mib);
    external = Math.max(external, metricSum(text, 'chainwatch_nodejs_external_memory_bytes') / mib);
    young = Math.max(young, metricSum(text, 'chainwatch_nodejs_heap_space_size_total_bytes', { space: 'new' }) / mib);
    if (metricSum(text, 'chainwatch_ct_cursor_verified') >= size) {
      end = performance.now();
      break;
    }
    if (d.child.exitCode !== null) throw new Error(`daemon exited: ${d.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const u = procUsage(d.child.pid!);
  d.child.kill('SIGTERM');
  await d.exited;
  rmSync(dir, { recursive: true, force: true });
  return { rate: size / ((end - start) / 1000), cpu: u.cpuUs / size, rss: u.hwmKiB / 1024, heap, external, young };
}

/** `chainwatch ct backfill` of [from, to) under /usr/bin/time: wall s, CPU s and peak RSS of its process. */
async function backfill(from: number, to: number): Promise<{ wall: number; cpu: number; rss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-ct-backfill-'));
  const args = [
    process.execPath,
    BIN,
    'ct',
    'backfill',
    url!,
    '--from',
    String(from),
    '--to',
    String(to),
    '--json',
    '--config',
    configFile(dir, 'now'),
    '--data-dir',
    dir,
  ];
  const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-8192)));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(err);
  if (code !== 0 || !m || !out.includes('"done":true')) throw new Error(`backfill failed (${code}): ${out} ${err.slice(-2000)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rss: Number(m[4]) / 1024 };
}

// Warm-up: the log's caches, the binaries in the page cache, not recorded.
await certspotter(spotterBin, url, keyDer, size, BATCH);
await rawReader(url, size, BATCH, CONCURRENCY);
const raw: { rate: number; cpu: number }[] = [];
const cs: { rate: number; cpu: number; rss: number }[] = [];
const cw: CwSample[] = [];
for (let r = 0; r < ROUNDS; r++) {
  raw.push(await rawReader(url, size, BATCH, CONCURRENCY));
  cs.push(await certspotter(spotterBin, url, keyDer, size, BATCH));
  cw.push(await chainwatch());
  const c = cw[r]!;
  log(
    `round ${r + 1}: raw ${raw[r]!.rate.toFixed(0)}/s, certspotter ${cs[r]!.rate.toFixed(0)}/s (${cs[r]!.cpu.toFixed(1)} µs), ` +
      `chainwatch ${c.rate.toFixed(0)}/s (${c.cpu.toFixed(1)} µs), peak RSS ${c.rss.toFixed(0)} MiB (heap ${c.heap.toFixed(0)}, external ${c.external.toFixed(0)}, young ${c.young.toFixed(0)})`,
  );
}
const semi = SEMI > 0 ? await chainwatch([`--max-semi-space-size=${SEMI}`]) : undefined;
if (semi)
  log(
    `chainwatch with --max-semi-space-size=${SEMI}: ${semi.rate.toFixed(0)}/s (${semi.cpu.toFixed(1)} µs), peak RSS ${semi.rss.toFixed(0)} MiB (young ${semi.young.toFixed(0)})`,
  );
const from = Math.max(0, Math.floor((size - BACKFILL) / 2));
const to = Math.min(size, from + BACKFILL);
const bf = await backfill(from, to);
log(`backfill [${from}, ${to}): ${bf.wall.toFixed(1)} s wall, ${bf.cpu.toFixed(1)} s CPU, peak RSS ${bf.rss.toFixed(0)} MiB`);
if ((await ctTreeSize(url)) !== size) log('note: the log grew during the run (measured on the first size)');
const per100k = 100_000 / (to - from);
const peak = cw.reduce((a, b) => (b.rss > a.rss ? b : a));
report(benchSpec('ct'), {
  entries: size,
  ...(addChainRate !== undefined ? { addChainRate } : {}),
  ...(queueRate !== undefined ? { queueRate } : {}),
  rawRate: median(raw.map((s) => s.rate)),
  chainwatchRate: median(cw.map((s) => s.rate)),
  certspotterRate: median(cs.map((s) => s.rate)),
  pairedRatio: median(cw.map((s, i) => s.rate / cs[i]!.rate)),
  certspotterOfRaw: median(cs.map((s, i) => s.rate / raw[i]!.rate)),
  chainwatchCpu: median(cw.map((s) => s.cpu)),
  certspotterCpu: median(cs.map((s) => s.cpu)),
  peakRss: peak.rss,
  peakHeap: peak.heap,
  peakExternal: peak.external,
  peakYoung: peak.young,
  certspotterRss: Math.max(...cs.map((s) => s.rss)),
  ...(semi ? { semiRss: semi.rss, semiCpu: semi.cpu } : {}),
  rawCpu: median(raw.map((s) => s.cpu)),
  backfillWall: bf.wall * per100k,
  backfillCpu: bf.cpu * per100k,
  backfillRss: bf.rss,
});
