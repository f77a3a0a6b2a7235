/**
 * Alert pipeline hot path, measured in one process so the numbers compare:
 *   baseline: JSON.parse + Map lookup per finding (the floor for any per-finding work),
 *   routing only (compiled matchers), routing + dedup/aggregation in SQLite (:memory:, then the
 *   durable file with synchronous=FULL as in production: one committed transaction per finding),
 * and memory while a sink is DOWN and 100,000 notifications queue up in its outbox (bounded: the
 * outbox is on disk; nothing grows in memory).
 * Run: node --expose-gc --import tsx bench/sinks.bench.ts [--queued N]   (writes bench/results/sinks.json)
 */
import { report } from './harness/report.js';
import { benchSpec } from './harness/specs.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Finding, HttpError } from '../core/index.js';
import { AlertEngine, createAlertPipeline, Router } from '../sinks/alerts/index.js';
import { openAlertDb, statements } from '../sinks/alerts/testing/index.js';
import { makeFinding, RecordingSink, testContext } from '../core/testing/index.js';

const args = process.argv.slice(2);
const queuedTarget = Number(args[args.indexOf('--queued') + 1] || 100_000) || 100_000;

/** Calls per second of `fn` over n calls, after a warm-up. */
function measure(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(1000, n); i++) fn(i); // warm-up
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return (n / (performance.now() - t)) * 1000;
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

const progress = (s: string) => process.stderr.write(`bench: ${s}\n`);
const seen = new Map<string, number>();
const parseLookup = measure(N, (i) => {
  const f = JSON.parse(encoded[i]!) as Finding;
  seen.set(f.dedupKey, (seen.get(f.dedupKey) ?? 0) + 1);
});
progress('baseline done');
const routing = measure(N, (i) => void router.route(findings[i]!));
const dedupMemory = (() => {
  const { engine, close } = engineOn(':memory:');
  let now = 0;
  const rate = measure(N, (i) => {
    const f = JSON.parse(encoded[i]!) as Finding;
    engine.ingest({ ...f, findingId: `m-${i}` }, ++now);
  });
  close();
  return rate;
})();
progress('memory engine done');
const dir = mkdtempSync(join(tmpdir(), 'cw-bench-'));
// The production configuration: one SQLite transaction (fsync) per finding, because the bus
// offset is committed only after the finding's dedup state and outbox rows are durable.
const dedupDurable = (() => {
  const { engine, close } = engineOn(join(dir, 'durable.sqlite'));
  let now = 0;
  const rate = measure(5000, (i) => {
    const f = JSON.parse(encoded[i]!) as Finding;
    engine.ingest({ ...f, findingId: `d-${i}` }, ++now);
  });
  close();
  return rate;
})();
progress('durable engine done');

// Memory with a sink down: every finding is a new dedup key, so each one queues a notification.
const mib = (bytes: number): number => bytes / 2 ** 20;
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
    samples.push({ queued: pipeline.pending('down'), rssMb: mib(m.rss), heapMb: mib(m.heapUsed) });
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

// Heap stays flat when queued notifications live only in the SQLite outbox (the delivery worker
// holds one row at a time); RSS also holds SQLite's page cache (bounded by cache_size).
report(
  benchSpec('sinks'),
  {
    parseLookup,
    routing,
    dedupMemory,
    dedupDurable,
    queueIngest: ingestRate,
    queued,
    outbox: mib(dbBytes),
    heapFirst: samples[0]?.heapMb,
    heapMax: Math.max(...samples.map((x) => x.heapMb)),
    rssFirst: samples[0]?.rssMb,
    rssMax: Math.max(...samples.map((x) => x.rssMb)),
  },
  [
    `${N.toLocaleString('en-US')} findings over ${KEYS} dedup keys, 4 routes; ${queuedTarget.toLocaleString('en-US')} notifications queued for a sink that is down`,
  ],
);
process.exit(0);
