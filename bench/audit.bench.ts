/**
 * Audit append rate (records/s) per backend, beside the raw write of the same events measured in
 * the same run and process:
 *   sqlite      SqliteAuditStore.append (canonical JSON, leaf hash, tree nodes, indexes, triggers)
 *               vs raw: one prepared INSERT of JSON.stringify(event) per row, batched the same way
 *               (one BEGIN IMMEDIATE transaction and one WAL fsync per batch) on a connection opened
 *               exactly like the store's (openSqlite: WAL, synchronous=FULL, the store's
 *               wal_autocheckpoint and busy timeout); and vs "raw, same schema": the audit tables'
 *               columns and indexes filled with JSON.stringify (no canonical JSON, no hashing, no
 *               tree), which isolates the price of tamper evidence from that of search.
 *               Each run also records its CPU time per record (process.cpuUsage): the paired ratio
 *               (raw CPU / audit CPU within a round, median over rounds) is what a loaded machine
 *               can still compare; wall-clock rates measured one after the other there are not.
 *   opensearch  OpenSearchAuditStore.append through each official client vs raw: one _bulk of
 *               `index` actions with the event JSON into a plain index, same client, same batch
 *   sink        the daemon's path (bench/harness/audit-sink.ts): the audit sink draining the same
 *               events from an embedded-bus backlog, with the bus' default per-partition handler
 *               concurrency and with one record per partition at a time (the behaviour before)
 * Events are ~1 KiB Rekor-entry events. Target: audit >= 50% of raw.
 * OpenSearch runs need: eval "$(scripts/services/opensearch.sh start)" (`npm run bench -- audit`
 * starts it). Without it the OpenSearch figures are left out and the run says so.
 * Run: npx tsx bench/audit.bench.ts [--records 20000] [--batch 500] [--rounds 1]
 *   (writes bench/results/audit.json)
 */
import { ElasticsearchJs, OpenSearchJs, searchKey, WAL_AUTOCHECKPOINT } from '../sinks/audit/testing/index.js';
import { auditSinkBacklog, type SinkRun } from './harness/audit-sink.js';
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqlite } from '../core/sqlite/index.js';
import { embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { makeEvent } from '../core/index.js';
import { entryFromBusRecord, OpenSearchAuditStore, SqliteAuditStore } from '../sinks/audit/index.js';
import type { SearchTransport, AuditEntry } from '../sinks/audit/index.js';

const { values: args } = parseArgs({
  options: { records: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' } },
});
const N = Number(args.records ?? 20_000);
const BATCH = Number(args.batch ?? 500);
/** SQLite only: repeat raw / same schema / audit / same schema / raw this many times; medians are shown. */
const ROUNDS = Math.max(1, Number(args.rounds ?? 1));
const osUrl = process.env.CHAINWATCH_TEST_OPENSEARCH_URL;

const events = Array.from({ length: N }, (_, i) => {
  const digest = randomBytes(32).toString('hex');
  return makeEvent({
    type: 'dev.chainwatch.rekor.entry.v1',
    source: 'urn:bench',
    subject: `sha256:${digest}`,
    data: {
      log: { origin: 'rekor.sigstore.dev - 1193050959916656506', url: 'https://rekor.sigstore.dev' },
      uuid: randomBytes(40).toString('hex'),
      logIndex: i,
      treeIndex: i,
      kind: 'hashedrekord',
      body: { spec: { signature: { content: randomBytes(300).toString('base64') } } },
      artifact: { digests: [{ algorithm: 'sha256', value: digest }] },
      signers: [
        {
          kind: 'certificate',
          san: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
          issuer: 'https://token.actions.githubusercontent.com',
          extensions: {},
        },
      ],
      verification: { inclusion: true, set: true, checkpoint: { size: i + 1, rootHash: randomBytes(32).toString('base64') } },
    },
  });
});
const entries: AuditEntry[] = events.map((event, i) =>
  entryFromBusRecord({ topic: 'chainwatch.rekor', partition: 0, offset: String(i), key: event.subject!, headers: {}, event }),
);
const eventBytes = Buffer.byteLength(JSON.stringify(events[0]));

function rate(t0: number): number {
  return N / ((performance.now() - t0) / 1000);
}

/** Records/s (wall clock) and CPU µs per record of one SQLite run. */
interface Run {
  rate: number;
  cpu: number;
}
async function measured(work: () => void | Promise<void>): Promise<Run> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const r = rate(t0);
  const c = process.cpuUsage(c0);
  return { rate: r, cpu: (c.user + c.system) / N };
}

async function rawSqlite(): Promise<Run> {
  const db = openSqlite(join(mkdtempSync(join(tmpdir(), 'cw-raw-audit-')), 'raw.db'), {
    durability: 'power-loss',
    walAutocheckpoint: WAL_AUTOCHECKPOINT,
    migrations: [{ name: 'raw table', up: (d) => d.exec('CREATE TABLE r (idx INTEGER PRIMARY KEY, body TEXT NOT NULL)') }],
  });
  const ins = db.prepare('INSERT INTO r (idx, body) VALUES (?, ?)');
  const tx = db.transaction((from: number) => {
    for (let i = from; i < Math.min(N, from + BATCH); i++) ins.run(i, JSON.stringify(events[i]));
  });
  const r = await measured(() => {
    for (let i = 0; i < N; i += BATCH) tx.immediate(i);
  });
  db.close();
  return r;
}

/** The audit store's own tables and indexes, written without canonicalisation, hashing or tree nodes. */
async function rawSqliteSameSchema(): Promise<Run> {
  const store = new SqliteAuditStore({ path: join(mkdtempSync(join(tmpdir(), 'cw-raw-schema-')), 'audit.db') });
  await store.open();
  const db = store.database;
  const rec = db.prepare('INSERT INTO audit_records (idx, body, leaf_hash) VALUES (?, ?, ?)');
  const fld = db.prepare(
    `INSERT INTO audit_fields (idx, id, kind, type, time, subject, digest, identity, severity, topic, partition, bus_offset, id_key, subject_key, digest_key, identity_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const key = (s: string | undefined): number | null => (s === undefined ? null : searchKey(s));
  const zero = Buffer.alloc(32);
  const tx = db.transaction((from: number) => {
    for (let i = from; i < Math.min(N, from + BATCH); i++) {
      const e = entries[i]!;
      rec.run(i, JSON.stringify(e), zero);
      fld.run(
        i,
        e.id,
        e.kind,
        e.type,
        e.time,
        e.subject ?? null,
        e.digest ?? null,
        e.identity ?? null,
        null,
        e.position!.topic,
        0,
        i,
        searchKey(e.id),
        key(e.subject),
        e.digest !== undefined && e.digest !== e.subject ? searchKey(e.digest) : null,
        key(e.identity),
      );
    }
  });
  const r = await measured(() => {
    for (let i = 0; i < N; i += BATCH) tx.immediate(i);
  });
  await store.close();
  return r;
}

async function auditSqlite(): Promise<Run> {
  const store = new SqliteAuditStore({ path: join(mkdtempSync(join(tmpdir(), 'cw-bench-audit-')), 'audit.db') });
  await store.open();
  const r = await measured(async () => {
    for (let i = 0; i < N; i += BATCH) await store.append(entries.slice(i, i + BATCH));
  });
  await store.close();
  return r;
}

async function rawBulk(t: SearchTransport, index: string): Promise<number> {
  await t.request({ method: 'PUT', path: `/${index}`, body: { settings: { number_of_shards: 1, number_of_replicas: 0 } } });
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const lines: unknown[] = [];
    for (let k = i; k < Math.min(N, i + BATCH); k++) lines.push({ index: { _index: index, _id: String(k) } }, { event: JSON.stringify(events[k]) });
    const res = await t.request({ method: 'POST', path: '/_bulk', bulkBody: lines });
    if (res.status !== 200 || (res.body as { errors?: boolean }).errors) throw new Error(`raw bulk failed: ${res.status}`);
  }
  return rate(t0);
}

async function auditOpenSearch(t: SearchTransport, prefix: string): Promise<number> {
  const store = new OpenSearchAuditStore({ transport: t, indexPrefix: prefix, replicas: 0 });
  await store.open();
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) await store.append(entries.slice(i, i + BATCH));
  return rate(t0);
}

// Raw first, then audit, then raw again: the mean of the two raw runs cancels warm-up drift.
// With --rounds > 1 each round gives one audit rate and one mean of each baseline; the medians
// are kept (a 20000-record SQLite run takes well under a second: one fsync hiccup shows).
// Paired CPU ratios are taken within each round, then their median.
const sq = { audit: [] as Run[], raw: [] as Run[], same: [] as Run[], ratio: [] as number[], sameRatio: [] as number[] };
const mean = (a: Run, b: Run): Run => ({ rate: (a.rate + b.rate) / 2, cpu: (a.cpu + b.cpu) / 2 });
for (let round = 0; round < ROUNDS; round++) {
  const r1 = await rawSqlite();
  const s1 = await rawSqliteSameSchema();
  const a = await auditSqlite();
  const s2 = await rawSqliteSameSchema();
  const r2 = await rawSqlite();
  const raw = mean(r1, r2);
  const same = mean(s1, s2);
  sq.audit.push(a);
  sq.raw.push(raw);
  sq.same.push(same);
  sq.ratio.push(raw.cpu / a.cpu);
  sq.sameRatio.push(same.cpu / a.cpu);
}
const med = (runs: Run[], k: keyof Run): number => median(runs.map((r) => r[k]));
// The daemon's path, interleaved: concurrent handlers (default), then one at a time per partition.
const sink = { batched: [] as SinkRun[], serial: [] as SinkRun[] };
for (let round = 0; round < ROUNDS; round++) {
  sink.batched.push(await auditSinkBacklog(events, embeddedBusConfigSchema.parse({}).maxInFlight));
  sink.serial.push(await auditSinkBacklog(events, 1));
}
const search: Record<'opensearch' | 'elasticsearch', { audit: number; raw: number } | undefined> = { opensearch: undefined, elasticsearch: undefined };
const remarks: string[] = [];

if (osUrl) {
  const run = randomBytes(3).toString('hex');
  for (const client of ['opensearch', 'elasticsearch'] as const) {
    const t = client === 'opensearch' ? new OpenSearchJs({ url: osUrl }) : new ElasticsearchJs({ url: osUrl });
    const tag = `cwbench-${run}-${client === 'opensearch' ? 'os' : 'es'}`;
    const raw1 = await rawBulk(t, `${tag}-raw1`);
    const audit = await auditOpenSearch(t, `${tag}-audit`);
    const raw2 = await rawBulk(t, `${tag}-raw2`);
    search[client] = { audit, raw: (raw1 + raw2) / 2 };
    await t.request({ method: 'DELETE', path: `/${tag}-*`, querystring: { expand_wildcards: 'all' } });
    await t.request({ method: 'DELETE', path: `/_index_template/${tag}-audit` });
    await t.close();
  }
} else {
  remarks.push('CHAINWATCH_TEST_OPENSEARCH_URL unset: OpenSearch figures not measured (eval "$(scripts/services/opensearch.sh start)")');
}

report(
  benchSpec('audit'),
  {
    sqliteAudit: med(sq.audit, 'rate'),
    sqliteRaw: med(sq.raw, 'rate'),
    sqliteSameSchema: med(sq.same, 'rate'),
    sqliteAuditCpu: med(sq.audit, 'cpu'),
    sqliteRawCpu: med(sq.raw, 'cpu'),
    sqliteSameSchemaCpu: med(sq.same, 'cpu'),
    sqlitePairedRatio: median(sq.ratio),
    sqliteSameSchemaPairedRatio: median(sq.sameRatio),
    sinkBacklog: med(sink.batched, 'rate'),
    sinkBacklogSerial: med(sink.serial, 'rate'),
    sinkBacklogCpu: med(sink.batched, 'cpu'),
    sinkBacklogSerialCpu: med(sink.serial, 'cpu'),
    osAudit: search.opensearch?.audit,
    osRaw: search.opensearch?.raw,
    esAudit: search.elasticsearch?.audit,
    esRaw: search.elasticsearch?.raw,
    eventBytes,
  },
  remarks,
);
