/** Delivery and evidence: the audit trail, alert receivers, HSM signing and runbooks. */
import type { BenchSpec } from '../spec.js';

export const audit: BenchSpec = {
  name: 'audit',
  title: 'Audit trail append',
  order: 5,
  page: 'benchmarks-audit.md',
  args: ['--records', '20000', '--rounds', '3'],
  nodeArgs: [],
  services: ['opensearch'],
  measurements: {
    sqliteAudit: { label: 'SqliteAuditStore.append: Merkle leaf + nodes, indexes, fsync per batch of 500', unit: 'records/s' },
    sqliteRaw: {
      label:
        "bare one-column SQLite insert of the same events (JSON.stringify; the store's pragmas: WAL, synchronous=FULL; one transaction + fsync per batch of 500)",
      unit: 'records/s',
    },
    sqliteSameSchema: { label: "the audit store's own tables and indexes, without canonical JSON or hashing", unit: 'records/s' },
    sqliteAuditCpu: { label: 'SqliteAuditStore.append: CPU per record', unit: 'µs' },
    sqliteRawCpu: { label: 'bare one-column SQLite insert: CPU per record', unit: 'µs' },
    sqliteSameSchemaCpu: { label: 'same schema without hashing: CPU per record', unit: 'µs' },
    sqlitePairedRatio: { label: 'bare insert CPU per record / audit CPU per record, median over interleaved rounds', unit: 'ratio' },
    sqliteSameSchemaPairedRatio: { label: 'same-schema CPU per record / audit CPU per record, median over interleaved rounds', unit: 'ratio' },
    osAudit: { label: 'OpenSearchAuditStore.append (op_type=create + tree nodes), OpenSearch client', unit: 'records/s' },
    osRaw: { label: 'raw `_bulk` index of the same events, OpenSearch client', unit: 'records/s' },
    esAudit: { label: 'OpenSearchAuditStore.append, Elasticsearch client', unit: 'records/s' },
    esRaw: { label: 'raw `_bulk` index of the same events, Elasticsearch client', unit: 'records/s' },
    eventBytes: { label: 'event size', unit: 'B' },
  },
  // A 20,000-record SQLite run takes under a second: one fsync hiccup moves it by 10-20 %.
  // Issue 9's target (>= 0.5 of the bare insert) is checked on both: the wall-clock ratio is the
  // one the issue states, the paired CPU ratio the one a loaded machine can still measure (the
  // equal per-batch fsync wait is not in it, so it is the stricter of the two on a quiet machine).
  figures: [
    {
      id: 'sqlite',
      label: 'SQLite: append with Merkle leaf + nodes, fsync per batch',
      value: 'sqliteAudit',
      baseline: 'sqliteRaw',
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 0.5 }],
      tolerance: 0.2,
    },
    {
      id: 'sqlite-cpu',
      label: 'SQLite: same, CPU per record (paired within rounds)',
      value: 'sqliteAudit',
      baseline: 'sqliteRaw',
      ratio: { measurement: 'sqlitePairedRatio', method: 'median over interleaved rounds of bare-insert CPU per record / audit CPU per record' },
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 0.5 }],
      tolerance: 0.15,
    },
    {
      id: 'sqlite-vs-schema',
      label: 'SQLite: same, against the same schema without hashing',
      value: 'sqliteAudit',
      baseline: 'sqliteSameSchema',
      better: 'higher',
      tolerance: 0.2,
    },
    {
      id: 'opensearch-client',
      label: 'OpenSearch (OpenSearch client): create bulk + tree nodes',
      value: 'osAudit',
      baseline: 'osRaw',
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 0.5 }],
      tolerance: 0.35,
    },
    {
      id: 'elasticsearch-client',
      label: 'OpenSearch (Elasticsearch client): same',
      value: 'esAudit',
      baseline: 'esRaw',
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 0.5 }],
      tolerance: 0.35,
    },
  ],
};

export const sinks: BenchSpec = {
  name: 'sinks',
  title: 'Alert pipeline',
  order: 6,
  page: 'benchmarks-sinks.md',
  args: [],
  nodeArgs: ['--expose-gc'],
  services: [],
  measurements: {
    parseLookup: { label: 'JSON.parse + Map lookup/update per finding', unit: 'findings/s' },
    routing: { label: 'routing only (4 routes, compiled matchers)', unit: 'findings/s' },
    dedupMemory: { label: 'JSON.parse + routing + dedup/aggregation, SQLite :memory:', unit: 'findings/s' },
    dedupDurable: { label: 'same, SQLite file (WAL, synchronous=FULL, one transaction per finding)', unit: 'findings/s' },
    queueIngest: { label: 'ingest while a sink is down (every finding queues a notification)', unit: 'findings/s' },
    queued: { label: 'notifications queued at the end', unit: 'count' },
    outbox: { label: 'outbox on disk at the end (database + WAL)', unit: 'MiB' },
    heapFirst: { label: 'heap used after GC, first sample (10 % queued)', unit: 'MiB' },
    heapMax: { label: 'heap used after GC, largest of 10 samples up to everything queued', unit: 'MiB' },
    rssFirst: { label: 'RSS, first sample (10 % queued)', unit: 'MiB' },
    rssMax: { label: 'RSS, largest of 10 samples up to everything queued', unit: 'MiB' },
  },
  figures: [
    { id: 'routing', label: 'routing only', value: 'routing', baseline: 'parseLookup', better: 'higher', tolerance: 0.25 },
    {
      id: 'dedup-memory',
      label: 'routing + dedup in memory (`:memory:` SQLite)',
      value: 'dedupMemory',
      baseline: 'parseLookup',
      better: 'higher',
      tolerance: 0.25,
    },
    {
      id: 'dedup-durable',
      label: 'routing + dedup, durable (SQLite, fsync per finding)',
      value: 'dedupDurable',
      baseline: 'parseLookup',
      better: 'higher',
      tolerance: 0.3,
    },
    // "Bounded": the heap must not grow with the queue (the outbox is on disk).
    {
      id: 'heap-sink-down',
      label: 'heap after GC while 100,000 notifications queue for a sink that is down (largest sample / first)',
      value: 'heapMax',
      baseline: 'heapFirst',
      better: 'lower',
      checks: [{ of: 'ratio', op: '<=', bound: 1.1 }],
      tolerance: 0.05,
    },
    {
      id: 'rss-sink-down',
      label: 'RSS while 100,000 notifications queue (largest sample / first)',
      value: 'rssMax',
      baseline: 'rssFirst',
      better: 'lower',
      tolerance: 0.05,
    },
  ],
};

export const hsm: BenchSpec = {
  name: 'hsm',
  title: 'Checkpoint signatures in a PKCS#11 token (SoftHSM2)',
  order: 7,
  page: 'benchmarks-hsm.md',
  args: ['--seconds', '3'],
  nodeArgs: [],
  services: ['softhsm'],
  measurements: {
    hsmEd25519: { label: 'Ed25519 checkpoint signatures through SoftHSM2 (CKM_EDDSA), one at a time', unit: 'signatures/s' },
    nodeEd25519: { label: 'the same Ed25519 key in node:crypto, same path', unit: 'signatures/s' },
    hsmP256: { label: 'ECDSA P-256 checkpoint signatures through SoftHSM2 (SHA-256 in Node, CKM_ECDSA)', unit: 'signatures/s' },
    nodeP256: { label: 'the same P-256 key in node:crypto, same path', unit: 'signatures/s' },
    hsmP256Concurrent: { label: 'ECDSA P-256 through SoftHSM2, 4 in flight (4 pooled sessions)', unit: 'signatures/s' },
    runbookToFinding: {
      label: 'runbook run revoke-key (2 approvals present) to the first critical finding for a later use: approvals, HSM disable, publish',
      unit: 'µs',
    },
    revokeToFinding: { label: 'keys revoke (keys.revoked.v1 published directly) to the same finding', unit: 'µs' },
  },
  // No target: the issue asks for the comparison. A checkpoint is signed once per checkpointEvery
  // records or checkpointInterval, so even the slowest figure is far above what the sink needs.
  figures: [
    {
      id: 'ed25519',
      label: 'Ed25519 checkpoint signature, HSM vs node:crypto',
      value: 'hsmEd25519',
      baseline: 'nodeEd25519',
      better: 'higher',
      tolerance: 0.3,
    },
    { id: 'p256', label: 'ECDSA P-256 checkpoint signature, HSM vs node:crypto', value: 'hsmP256', baseline: 'nodeP256', better: 'higher', tolerance: 0.3 },
    {
      id: 'p256-concurrent',
      label: 'ECDSA P-256 through the HSM, 4 in flight vs one at a time',
      value: 'hsmP256Concurrent',
      baseline: 'hsmP256',
      better: 'higher',
      tolerance: 0.3,
    },
    {
      id: 'revoke-runbook',
      label: 'revocation to critical finding: the revoke-key runbook vs a direct keys revoke',
      value: 'runbookToFinding',
      baseline: 'revokeToFinding',
      better: 'lower',
      tolerance: 0.5,
    },
  ],
};
