/**
 * Alert pipeline hot path, measured in one process so the numbers compare:
 *   baseline: JSON.parse + Map lookup per finding (the floor for any per-finding work),
 *   routing only (compiled matchers), routing + dedup/aggregation in SQLite (:memory:, then the
 *   durable file with synchronous=FULL as in production: one committed transaction per finding),
 * and memory while a sink is DOWN and 100,000 notifications queue up in its outbox (bounded: the
 * outbox is on disk; nothing grows in memory).
 * Run: node --expose-gc --import tsx bench/sinks.bench.ts [--write] [--queued N]
 *      (--write regenerates docs/benchmarks-sinks.md)
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Finding, HttpError } from '../core/index.js';
import { AlertEngine, createAlertPipeline, Router } from '../sinks/alerts/index.js';
import { openAlertDb, statements } from '../sinks/alerts/testing/index.js';
import { makeFinding, RecordingSink, testContext } from '../core/testing/index.js';

const args = process.argv.slice(2);
const write = args.includes('--write');
const queuedTarget = Number(args[args.indexOf('--queued') + 1] || 100_000) || 100_000;

type Row = { name: string; unit: string; rate: number; n: number };
function measure(name: string, unit: string, n: number, fn: (i: number) => void): Row {
  for (let i = 0; i < Math.min(1000, n); i++) fn(i); // warm-up
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const ms = performance.now() - t;
  return { name, unit, rate: (n / ms) * 1000, n };
}

// 20k findings over 1,000 dedup keys, both categories, mixed severities: mostly repeats (suppressed).
const KEYS = 1000;
const N = 20_000;
const severities = ['info', 'low', 'medium', 'high', 'critical'] as const;
const findings: Finding[] = Array.from({ length: N }, (_, i) =>
  makeFinding({
    findingId: `bench-${i}`,
    dedupKey: `key-${i % KEYS}`,
    severity: severities[i % 5]!,
    category: i % 3 === 0 ? 'infrastructure' : 'security',
    rule: i % 2 ? 'tlog.consistency_failed' : 'registry.new_maintainer',
    subject: i % 4 ? 'rekor.sigstore.dev' : 'ghcr.io/acme/app',
    labels: { team: i % 2 ? 'sec' : 'ops' },
  }),
);
const encoded = findings.map((f) => JSON.stringify(f));
const routes = [
  { name: 'page-critical', match: { severity: 'critical' as const, category: ['security' as const] }, sinks: ['pagerduty'], continue: true },
  { name: 'tlog', match: { rule: ['tlog.*'], subject: '^rekor\\.' }, sinks: ['slack'], continue: false },
  { name: 'security', match: { category: ['security' as const] }, sinks: ['slack', 'jira'], continue: false },
  { name: 'infrastructure', match: { category: ['infrastructure' as const], labels: { team: 'ops' } }, sinks: ['ops-mail'], continue: false },
];
const router = new Router(routes, 3_600_000);
const hooks = { suppressed() {}, throttled() {}, unrouted() {}, resolveUnmatched() {}, enqueued() {} };

function engineOn(file: string): { engine: AlertEngine; close: () => void } {
  const db = openAlertDb(file);
  return { engine: new AlertEngine(db, statements(db), router, hooks, undefined), close: () => db.close() };
}

const rows: Row[] = [];
const progress = (s: string) => process.stderr.write(`bench: ${s}\n`);
{
  const seen = new Map<string, number>();
  rows.push(
    measure('baseline: JSON.parse + Map lookup/update', 'findings/s', N, (i) => {
      const f = JSON.parse(encoded[i]!) as Finding;
      seen.set(f.dedupKey, (seen.get(f.dedupKey) ?? 0) + 1);
    }),
  );
}
progress('baseline done');
rows.push(measure('routing only (4 routes, compiled matchers)', 'findings/s', N, (i) => void router.route(findings[i]!)));
{
  const { engine, close } = engineOn(':memory:');
  let now = 0;
  rows.push(
    measure('JSON.parse + routing + dedup/aggregation (SQLite :memory:)', 'findings/s', N, (i) => {
      const f = JSON.parse(encoded[i]!) as Finding;
      engine.ingest({ ...f, findingId: `m-${i}` }, ++now);
    }),
  );
  close();
}
progress('memory engine done');
const dir = mkdtempSync(join(tmpdir(), 'cw-bench-'));
{
  const { engine, close } = engineOn(join(dir, 'durable.sqlite'));
  let now = 0;
  rows.push(
    measure('JSON.parse + routing + dedup/aggregation (SQLite file, WAL, synchronous=FULL)', 'findings/s', 5000, (i) => {
      const f = JSON.parse(encoded[i]!) as Finding;
      engine.ingest({ ...f, findingId: `d-${i}` }, ++now);
    }),
  );
  close();
}
progress('durable engine done');

// Memory with a sink down: every finding is a new dedup key, so each one queues a notification.
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const samples: { queued: number; rssMb: number; heapMb: number }[] = [];
const ctx = testContext(join(dir, 'down'), Date.now());
const down = new RecordingSink('down', () => {
  throw new HttpError('HTTP_UNREACHABLE', 'sink is down');
});
const pipeline = createAlertPipeline({ routes: [{ name: 'all', sinks: ['down'] }], delivery: { baseDelay: 1000, maxDelay: 5000 } }, ctx, [down]);
await pipeline.start();
const t0 = performance.now();
for (let i = 0; i < queuedTarget; i++) {
  pipeline.ingest({ ...findings[i % N]!, findingId: `q-${i}`, dedupKey: `down-${i}` });
  if ((i + 1) % (queuedTarget / 10) === 0) {
    await new Promise((r) => setImmediate(r)); // let the worker run, as it would between bus records
    gc();
    const m = process.memoryUsage();
    progress(`queued ${i + 1}`);
    samples.push({ queued: pipeline.pending('down'), rssMb: mb(m.rss), heapMb: mb(m.heapUsed) });
  }
}
const ingestRate = (queuedTarget / (performance.now() - t0)) * 1000;
const queued = pipeline.pending('down');
const dbBytes =
  statSync(pipeline.dbFile).size +
  (() => {
    try {
      return statSync(`${pipeline.dbFile}-wal`).size;
    } catch {
      return 0;
    }
  })();
await pipeline.stop();
rmSync(dir, { recursive: true, force: true });

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${(mb(totalmem()) / 1024) | 0} GiB, ${platform()}/${arch()}, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const lines = [
  '# Alert pipeline benchmarks (sinks/shared)',
  '',
  `Generated by \`node --expose-gc --import tsx bench/sinks.bench.ts --write\` on ${date}; machine: ${machine}.`,
  '',
  'Rates vary run to run by 2-3x on this shared 2-core machine (other builds and tests ran alongside); compare rows',
  'of one run against its own baseline, not across runs.',
  '',
  '## Throughput (in-process, no network)',
  '',
  `${fmt(N)} findings over ${KEYS} dedup keys (mostly repeats, as in a noisy incident), 4 routes.`,
  '',
  '| path | rate | vs baseline |',
  '| --- | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${fmt(r.rate)} ${r.unit} | ${(r.rate / rows[0]!.rate).toFixed(3)}x |`),
  '',
  'The durable row is the production configuration: one SQLite transaction (fsync) per finding, because the',
  "bus offset is committed only after the finding's dedup state and outbox rows are durable.",
  '',
  `## Memory with a sink down and ${fmt(queuedTarget)} notifications queued`,
  '',
  `Every finding has a new dedup key, so each queues one notification; the sink fails every attempt.`,
  `Ingest rate while queuing: ${fmt(ingestRate)} findings/s. Outbox at the end: ${fmt(queued)} rows, ${mb(dbBytes)} MiB on disk.`,
  '',
  '| queued | RSS (MiB) | heap used after GC (MiB) |',
  '| ---: | ---: | ---: |',
  ...samples.map((s) => `| ${fmt(s.queued)} | ${s.rssMb} | ${s.heapMb} |`),
  '',
  'Heap stays flat: queued notifications live only in the SQLite outbox; the delivery worker holds one row at a time.',
  "RSS includes SQLite's page cache (bounded by its cache_size) and the V8 heap reserve.",
  '',
];
const report = lines.join('\n');
console.log(report);
if (write) writeFileSync(join(import.meta.dirname, '..', 'docs', 'benchmarks-sinks.md'), report);
process.exit(0);
