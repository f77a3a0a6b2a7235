/**
 * Embedded bus throughput: publish -> consume -> commit with 1 KiB events, beside the raw SQLite
 * insert rate (and raw insert + read-back) of the same rows measured in the same run; plus idle
 * daemon RSS beside a bare Node process (the daemon runs from dist/: `npm run build` first).
 *
 * The bus runs two ways (see busRate): `live` (the consumer keeps up) and `backlog` (the consumer
 * drains N records from the file; the only way before issue 9).
 * The machine is shared: all are measured in interleaved rounds (raw insert, bus live, raw insert +
 * read back, bus backlog; fresh files each round), and a pipeline's ratio is the median over rounds of
 * the raw insert's CPU time per event over the bus's (both are single-threaded and synchronous on
 * this thread, so CPU time is what a neighbour's load cannot inflate). Wall-clock rates are
 * reported too (medians). Events are cycled from a pool of POOL prebuilt ones, so the live heap
 * stays the same size whatever N is (holding N events alive would tax both sides with GC).
 * Run: npx tsx bench/bus-embedded.bench.ts [N] [--rounds R]   (writes bench/results/bus-embedded.json)
 */
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { type CloudEvent, makeEvent, ProbeEvent, topicFor } from '../core/index.js';

const N = Number(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 50_000);
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;
const BATCH = 500;
const POOL = 2_000;
const payload = 'x'.repeat(1024 - 200); // envelope + data ~= 1 KiB on the wire
const pool = Array.from({ length: POOL }, (_, i) =>
  makeEvent({ type: ProbeEvent.type, source: 'urn:bench', subject: `s-${i % 64}`, data: { seq: i, payload } }),
);
const eventAt = (i: number): CloudEvent => pool[i % POOL]!;
const eventBytes = Buffer.byteLength(JSON.stringify(pool[0]));

interface Sample {
  /** events per wall-clock second */
  rate: number;
  /** CPU µs of this process per event */
  cpu: number;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function rawSqlite(readBack: boolean): Sample {
  const dir = tempDir('cw-raw-');
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE r (topic TEXT, partition INTEGER, offset INTEGER, key TEXT, value BLOB, ts INTEGER, PRIMARY KEY (topic, partition, offset))');
  const ins = db.prepare('INSERT INTO r VALUES (?, ?, ?, ?, ?, ?)');
  const sel = db.prepare('SELECT offset, key, value FROM r WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?');
  const tx = db.transaction((from: number) => {
    for (let i = from; i < Math.min(N, from + BATCH); i++) ins.run('t', 0, i, eventAt(i).subject, Buffer.from(JSON.stringify(eventAt(i))), Date.now());
  });
  const c0 = cpuNow();
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) tx(i);
  if (readBack) for (let i = 0; i < N; i += BATCH) for (const row of sel.all('t', 0, i, BATCH) as { value: Buffer }[]) JSON.parse(row.value.toString());
  const secs = (performance.now() - t0) / 1000;
  const cpu = (cpuNow() - c0) / N;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: N / secs, cpu };
}

/**
 * `live`: the publisher yields to the event loop after each batch, as a collector does while it
 * awaits its next fetch, so the consumer keeps up and takes records as they are committed.
 * Otherwise (`backlog`) the publisher never yields: all N are appended before the consumer runs
 * much, and it drains them from the file.
 */
async function busRate(live: boolean): Promise<Sample> {
  const dir = tempDir('cw-bench-');
  const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: 50, maxBatch: 1000 }), path: join(dir, 'bus.db') });
  await bus.start();
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const c0 = cpuNow();
  const t0 = performance.now();
  await bus.subscribe({
    group: 'bench',
    topics: [topicFor('system')],
    fromBeginning: true,
    handler: async () => {
      if (++seen === N) done();
    },
  });
  for (let i = 0; i < N; i += BATCH) {
    const batch: CloudEvent[] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) batch.push(eventAt(j));
    await bus.publish(batch);
    if (live) await new Promise(setImmediate);
  }
  await finished;
  const secs = (performance.now() - t0) / 1000;
  const cpu = (cpuNow() - c0) / N;
  await bus.stop();
  rmSync(dir, { recursive: true, force: true });
  return { rate: N / secs, cpu };
}

/** RSS in MiB: /proc says "kB" but counts KiB. */
async function rssOf(args: string[], settleMs: number): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, settleMs));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

// Warm-up (JIT, page cache), not recorded.
rawSqlite(false);
await busRate(true);
await busRate(false);
const raw: Sample[] = [];
const rawRead: Sample[] = [];
const live: Sample[] = [];
const backlog: Sample[] = [];
for (let r = 0; r < ROUNDS; r++) {
  raw.push(rawSqlite(false));
  live.push(await busRate(true));
  rawRead.push(rawSqlite(true));
  backlog.push(await busRate(false));
}
const bareRss = await rssOf(['-e', 'setInterval(() => {}, 1000)'], 3000);
const rssDir = tempDir('cw-rss-');
const daemonRss = await rssOf([join(import.meta.dirname, '..', 'bin', 'chainwatch.js'), 'run', '--port', '0', '--data-dir', rssDir], 5000);
rmSync(rssDir, { recursive: true, force: true });
report(benchSpec('bus-embedded'), {
  busLive: median(live.map((s) => s.rate)),
  bus: median(backlog.map((s) => s.rate)),
  rawInsert: median(raw.map((s) => s.rate)),
  rawInsertReadBack: median(rawRead.map((s) => s.rate)),
  busLiveCpu: median(live.map((s) => s.cpu)),
  busCpu: median(backlog.map((s) => s.cpu)),
  rawCpu: median(raw.map((s) => s.cpu)),
  rawReadBackCpu: median(rawRead.map((s) => s.cpu)),
  pairedRatioLive: median(live.map((s, i) => raw[i]!.cpu / s.cpu)),
  pairedRatio: median(backlog.map((s, i) => raw[i]!.cpu / s.cpu)),
  pairedRatioReadBack: median(backlog.map((s, i) => rawRead[i]!.cpu / s.cpu)),
  daemonRss,
  bareRss,
  eventBytes,
});
