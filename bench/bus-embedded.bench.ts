/**
 * Embedded bus throughput: publish -> consume -> commit with 1 KiB events, beside the raw SQLite
 * insert rate (and raw insert + read-back) of the same rows measured in the same run; plus idle
 * daemon RSS beside a bare Node process (the daemon runs from dist/: `npm run build` first).
 * Run: npx tsx bench/bus-embedded.bench.ts [N]   (writes bench/results/bus-embedded.json)
 */
import { report } from './harness/report.js';
import { benchSpec } from './harness/specs.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { makeEvent, ProbeEvent, topicFor } from '../core/index.js';

const N = Number(process.argv[2] ?? 50_000);
const BATCH = 500;
const payload = 'x'.repeat(1024 - 200); // envelope + data ~= 1 KiB on the wire
const events = Array.from({ length: N }, (_, i) =>
  makeEvent({ type: ProbeEvent.type, source: 'urn:bench', subject: `s-${i % 64}`, data: { seq: i, payload } }),
);
const eventBytes = Buffer.byteLength(JSON.stringify(events[0]));

function rawSqlite(readBack: boolean): number {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'cw-raw-')), 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE r (topic TEXT, partition INTEGER, offset INTEGER, key TEXT, value BLOB, ts INTEGER, PRIMARY KEY (topic, partition, offset))');
  const ins = db.prepare('INSERT INTO r VALUES (?, ?, ?, ?, ?, ?)');
  const sel = db.prepare('SELECT offset, key, value FROM r WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?');
  const tx = db.transaction((from: number) => {
    for (let i = from; i < Math.min(N, from + BATCH); i++) ins.run('t', 0, i, events[i]!.subject, Buffer.from(JSON.stringify(events[i])), Date.now());
  });
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) tx(i);
  if (readBack) for (let i = 0; i < N; i += BATCH) for (const row of sel.all('t', 0, i, BATCH) as { value: Buffer }[]) JSON.parse(row.value.toString());
  const secs = (performance.now() - t0) / 1000;
  db.close();
  return N / secs;
}

async function busRate(): Promise<number> {
  const bus = new EmbeddedBus({
    ...embeddedBusConfigSchema.parse({ pollInterval: 50, maxBatch: 1000 }),
    path: join(mkdtempSync(join(tmpdir(), 'cw-bench-')), 'bus.db'),
  });
  await bus.start();
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const t0 = performance.now();
  await bus.subscribe({
    group: 'bench',
    topics: [topicFor('system')],
    fromBeginning: true,
    handler: async () => {
      if (++seen === N) done();
    },
  });
  for (let i = 0; i < N; i += BATCH) await bus.publish(events.slice(i, i + BATCH));
  await finished;
  const secs = (performance.now() - t0) / 1000;
  await bus.stop();
  return N / secs;
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

const rawInsert = rawSqlite(false);
const rawInsertRead = rawSqlite(true);
const bus = await busRate();
const bareRss = await rssOf(['-e', 'setInterval(() => {}, 1000)'], 3000);
const daemonRss = await rssOf(
  [join(import.meta.dirname, '..', 'bin', 'chainwatch.js'), 'run', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'cw-rss-'))],
  5000,
);
report(benchSpec('bus-embedded'), { bus, rawInsert, rawInsertReadBack: rawInsertRead, daemonRss, bareRss, eventBytes });
