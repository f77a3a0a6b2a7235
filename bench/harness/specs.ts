/**
 * Every bench: its measurements, the figures derived from them and the targets the issues set.
 * `npm run bench` runs them with `args`; the benches and the pre-re-layout text parser
 * (legacy.ts) both report measurements under these keys.
 */
import type { BenchSpec } from './spec.js';

const busEmbedded: BenchSpec = {
  name: 'bus-embedded',
  title: 'Embedded bus (SQLite) and idle daemon memory',
  order: 1,
  page: 'benchmarks-bus-embedded.md',
  args: ['50000'],
  nodeArgs: [],
  services: [],
  measurements: {
    busLive: { label: 'EmbeddedBus publish → consume → commit, 1 KiB events, consumer keeping up (median of rounds)', unit: 'events/s' },
    bus: { label: 'EmbeddedBus publish → consume → commit, 1 KiB events, consumer draining a backlog (median of rounds)', unit: 'events/s' },
    rawInsert: { label: 'raw SQLite insert of the same rows (WAL, batches of 500)', unit: 'events/s' },
    rawInsertReadBack: { label: 'raw SQLite insert and read back of the same rows', unit: 'events/s' },
    busLiveCpu: { label: 'EmbeddedBus, consumer keeping up: CPU per event, publish → consume → commit', unit: 'µs' },
    busCpu: { label: 'EmbeddedBus, consumer draining a backlog: CPU per event, publish → consume → commit', unit: 'µs' },
    rawCpu: { label: 'raw SQLite insert: CPU per event', unit: 'µs' },
    rawReadBackCpu: { label: 'raw SQLite insert and read back: CPU per event', unit: 'µs' },
    pairedRatioLive: { label: 'raw insert CPU per event / bus (keeping up) CPU per event, median over interleaved rounds', unit: 'ratio' },
    pairedRatio: { label: 'raw insert CPU per event / bus (backlog) CPU per event, median over interleaved rounds', unit: 'ratio' },
    pairedRatioReadBack: { label: 'raw insert + read back CPU per event / bus (backlog) CPU per event, median over interleaved rounds', unit: 'ratio' },
    daemonRss: { label: 'idle daemon RSS, embedded defaults, 5 s after start', unit: 'MiB' },
    bareRss: { label: 'bare `node` process RSS, 3 s after start', unit: 'MiB' },
    eventBytes: { label: 'event size on the wire', unit: 'B' },
  },
  figures: [
    // Issue 9 raised the ratio target from 0.5 to 0.6. Ratios are of CPU time per event, paired
    // per round: on the shared machine wall-clock rates measured one after the other are not
    // comparable (the wall-clock ratio is a figure of its own, comparable with the reference run).
    {
      id: 'pipeline',
      label: 'publish → consume → commit, 1 KiB events, consumer keeping up',
      value: 'busLive',
      baseline: 'rawInsert',
      ratio: { measurement: 'pairedRatioLive', method: 'median over interleaved rounds of raw-insert CPU per event / bus CPU per event' },
      better: 'higher',
      checks: [
        { of: 'value', op: '>=', bound: 20_000 },
        { of: 'ratio', op: '>=', bound: 0.6 },
      ],
      tolerance: 0.15,
    },
    {
      id: 'pipeline-backlog',
      label: 'same, consumer draining a backlog of N from the file',
      value: 'bus',
      baseline: 'rawInsert',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds of raw-insert CPU per event / bus CPU per event' },
      better: 'higher',
      checks: [
        { of: 'value', op: '>=', bound: 20_000 },
        { of: 'ratio', op: '>=', bound: 0.6 },
      ],
      tolerance: 0.15,
    },
    {
      id: 'pipeline-wall',
      label: 'backlog, wall-clock rates (medians of rounds)',
      value: 'bus',
      baseline: 'rawInsert',
      better: 'higher',
      tolerance: 0.15,
    },
    {
      id: 'pipeline-vs-read-back',
      label: 'backlog, against raw insert and read back',
      value: 'bus',
      baseline: 'rawInsertReadBack',
      ratio: { measurement: 'pairedRatioReadBack', method: 'median over interleaved rounds of CPU per event, as above' },
      better: 'higher',
      tolerance: 0.15,
    },
    // The target was set as 120 MB; RSS is measured in MiB (kB / 1024), and 120 MB = 114.4 MiB.
    {
      id: 'idle-rss',
      label: 'idle daemon RSS, embedded defaults (target 120 MB)',
      value: 'daemonRss',
      baseline: 'bareRss',
      better: 'lower',
      checks: [{ of: 'value', op: '<=', bound: 114.4 }],
      tolerance: 0.05,
    },
  ],
};

const busKafka: BenchSpec = {
  name: 'bus-kafka',
  title: 'Kafka bus',
  order: 2,
  page: 'benchmarks-kafka.md',
  args: ['--events', '200000'],
  nodeArgs: [],
  services: ['kafka'],
  measurements: {
    busPipeline: { label: 'KafkaBus publish → consume → commit, 1 KiB events', unit: 'events/s' },
    rawPipeline: { label: 'raw @platformatic/kafka produce/consume/commit loop, batched the same way', unit: 'events/s' },
    busPublish: { label: 'KafkaBus publish only, acks=all', unit: 'events/s' },
    rawPublish: { label: 'raw @platformatic/kafka send of the same batches, idempotent, acks=all', unit: 'events/s' },
    busCpu: { label: 'KafkaBus: Node CPU per event over the pipeline', unit: 'µs' },
    rawCpu: { label: 'raw @platformatic/kafka: Node CPU per event over the pipeline', unit: 'µs' },
  },
  figures: [
    {
      id: 'pipeline',
      label: 'publish → consume → commit, 1 KiB, 200k events, 6 partitions',
      value: 'busPipeline',
      baseline: 'rawPipeline',
      better: 'higher',
      checks: [{ of: 'value', op: '>=', bound: 50_000 }],
      tolerance: 0.3,
    },
    { id: 'publish', label: 'publish only, acks=all', value: 'busPublish', baseline: 'rawPublish', better: 'higher', tolerance: 0.3 },
    { id: 'cpu-per-event', label: 'Node CPU per event, whole pipeline', value: 'busCpu', baseline: 'rawCpu', better: 'lower', tolerance: 0.15 },
  ],
};

const rekor: BenchSpec = {
  name: 'rekor',
  title: 'Rekor entry verification',
  order: 3,
  page: 'benchmarks-rekor.md',
  args: ['--seconds', '5'],
  nodeArgs: [],
  services: [],
  measurements: {
    entries: { label: 'fully verified Rekor v1 entries (verifyV1Entry), one core', unit: 'entries/CPU-s' },
    ecdsa: { label: 'ECDSA P-256 verifies of the same SETs: the crypto bound at 1 signature check per entry', unit: 'verifies/CPU-s' },
    pairedRatio: { label: 'entries / crypto bound, median over paired back-to-back rounds', unit: 'ratio' },
    ratioOfTotals: { label: 'entries / crypto bound over the totals', unit: 'ratio' },
  },
  figures: [
    {
      id: 'verified-entries',
      label: 'fully verified entries per CPU-second, one core',
      value: 'entries',
      baseline: 'ecdsa',
      ratio: { measurement: 'pairedRatio', method: 'median of paired back-to-back rounds (bound, then full path)' },
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 0.7 }],
    },
  ],
};

const rekorLive: BenchSpec = {
  name: 'rekor-live',
  title: 'Rekor live path (real rekor-server)',
  order: 3,
  page: 'benchmarks-rekor.md',
  args: ['--entries', '3000', '--rounds', '3'],
  nodeArgs: [],
  services: ['rekor'],
  measurements: {
    entries: { label: 'entries in the real log, all followed from index 0 each round', unit: 'count' },
    liveCpu: { label: 'CPU per entry of the collector catching up: fetch, verify, publish onto the embedded bus, cursor', unit: 'µs' },
    offlineCpu: { label: 'CPU per entry of verifyV1Entry alone on the same entries (offline verification cost)', unit: 'µs' },
    liveRate: { label: 'entries/s of the catch-up, rate limit lifted (median of rounds)', unit: 'entries/s' },
    pairedRatio: { label: 'live CPU per entry / offline CPU per entry, median over interleaved rounds', unit: 'ratio' },
  },
  figures: [
    {
      id: 'live-cpu',
      label: 'live CPU per entry against the offline verification cost',
      value: 'liveCpu',
      baseline: 'offlineCpu',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds (offline, then live) of live / offline CPU per entry' },
      better: 'lower',
      checks: [{ of: 'ratio', op: '<=', bound: 2 }],
      tolerance: 0.15,
    },
  ],
};

const tlog: BenchSpec = {
  name: 'tlog',
  title: 'Transparency-log hashing',
  order: 4,
  page: 'benchmarks-tlog.md',
  args: [],
  nodeArgs: [],
  services: [],
  measurements: {
    compactRange: { label: 'CompactRange append (amortised) + root per 1024 leaves', unit: 'leaves/s' },
    verifyInclusion: { label: 'verifyInclusion, tree of ~2^20, 20 hashes', unit: 'verifies/s' },
    sha256OneShot: { label: 'raw SHA-256 of 65 B, crypto.hash one-shot', unit: 'hashes/s' },
    sha256CreateHash: { label: 'raw SHA-256 of 65 B, createHash', unit: 'hashes/s' },
    ecdsaVerify: { label: 'ECDSA P-256 verify (node:crypto)', unit: 'verifies/s' },
  },
  // Wall-clock rates measured one after the other (not interleaved): noisier than CPU-time ratios.
  figures: [
    { id: 'compact-range', label: 'CompactRange append + root', value: 'compactRange', baseline: 'sha256OneShot', better: 'higher', tolerance: 0.25 },
    {
      id: 'verify-inclusion',
      label: 'inclusion proof verify, 20 hashes',
      value: 'verifyInclusion',
      baseline: 'sha256OneShot',
      better: 'higher',
      tolerance: 0.25,
    },
  ],
};

const audit: BenchSpec = {
  name: 'audit',
  title: 'Audit trail append',
  order: 5,
  page: 'benchmarks-audit.md',
  args: ['--records', '20000', '--rounds', '3'],
  nodeArgs: [],
  services: ['opensearch'],
  measurements: {
    sqliteAudit: { label: 'SqliteAuditStore.append: Merkle leaf + nodes, indexes, fsync per batch of 500', unit: 'records/s' },
    sqliteRaw: { label: 'bare one-column SQLite insert of the same events (WAL, synchronous=FULL)', unit: 'records/s' },
    sqliteSameSchema: { label: "the audit store's own tables and indexes, without canonical JSON or hashing", unit: 'records/s' },
    osAudit: { label: 'OpenSearchAuditStore.append (op_type=create + tree nodes), OpenSearch client', unit: 'records/s' },
    osRaw: { label: 'raw `_bulk` index of the same events, OpenSearch client', unit: 'records/s' },
    esAudit: { label: 'OpenSearchAuditStore.append, Elasticsearch client', unit: 'records/s' },
    esRaw: { label: 'raw `_bulk` index of the same events, Elasticsearch client', unit: 'records/s' },
    eventBytes: { label: 'event size', unit: 'B' },
  },
  // A 20,000-record SQLite run takes under a second: one fsync hiccup moves it by 10-20 %.
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

const sinks: BenchSpec = {
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

const hsm: BenchSpec = {
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

const ctWatch: BenchSpec = {
  name: 'ct-watch',
  title: 'CT watchlist: prefilter and certificate parsing',
  order: 8,
  page: 'certificates.md',
  args: ['--seconds', '1', '--rounds', '3'],
  nodeArgs: [],
  services: [],
  measurements: {
    prefilter: { label: 'unwatched CT entry: base64 decode + Watchlist.prefilter (median of rounds)', unit: 'entries/CPU-s' },
    parse: { label: 'watched CT entry: trust parseCertificate, strict DER check + @peculiar/x509 (median of rounds)', unit: 'entries/CPU-s' },
    pairedRatio: { label: 'prefilter rate / parse rate, median over interleaved rounds', unit: 'ratio' },
    corpus: { label: 'real certificates in the corpus (realdata x509/fulcio, ct/ct-go-testdata)', unit: 'count' },
    derBytes: { label: 'mean DER size', unit: 'B' },
  },
  // No target: docs/certificates.md quotes the ratio (how many unwatched entries cost one parsed one).
  figures: [
    {
      id: 'prefilter-vs-parse',
      label: 'an unwatched CT entry (prefilter only) vs a parsed one',
      value: 'prefilter',
      baseline: 'parse',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds of prefilter entries/CPU-s / parse entries/CPU-s' },
      better: 'higher',
      tolerance: 0.3,
    },
  ],
};

const signatures: BenchSpec = {
  name: 'signatures',
  title: 'Image signature discovery (collectors.signatures) against the local OCI registry',
  order: 10,
  page: 'registry-signatures.md',
  args: ['--seconds', '2', '--rounds', '3'],
  nodeArgs: [],
  services: ['ocireg'],
  measurements: {
    cold: { label: 'one digest, cold: cosign tags + referrers API + referrer manifests and layers, fresh client (median of rounds)', unit: 'verifies/s' },
    warm: { label: 'one digest, warm: a verify answered from the state-store cache (SQLite read; median of rounds)', unit: 'verifies/s' },
    cosignVerify: { label: '`cosign verify --key` of the same digest, whole CLI run (median of rounds)', unit: 'verifies/s' },
    pairedRatio: { label: 'cold rate / cosign verify rate, median over interleaved rounds', unit: 'ratio' },
    artifacts: { label: 'artifacts found per digest (an oras SBOM, plus a cosign signature when cosign is present)', unit: 'count' },
  },
  figures: [
    {
      id: 'cold-vs-cosign',
      label: 'a digest discovered cold vs `cosign verify` of it',
      value: 'cold',
      baseline: 'cosignVerify',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds of cold digests/s / cosign verify runs/s' },
      better: 'higher',
      tolerance: 0.3,
    },
    { id: 'warm-vs-cold', label: 'a verify answered from the cache vs a cold discovery', value: 'warm', baseline: 'cold', better: 'higher', tolerance: 0.3 },
  ],
};

const policy: BenchSpec = {
  name: 'policy',
  title: 'Image policy evaluation (rules/policy)',
  order: 9,
  page: 'policy.md',
  args: ['--seconds', '1', '--rounds', '3'],
  nodeArgs: [],
  services: [],
  measurements: {
    key: { label: 'PolicySet.evaluate, one key authority, two verified signatures (median of rounds)', unit: 'evaluations/CPU-s' },
    jsKey: { label: 'hand-written JS predicate, same decision over the same facts', unit: 'evaluations/CPU-s' },
    sbom: { label: 'PolicySet.evaluate, key authority + CEL licence deny-list over a real 62-component CycloneDX SBOM', unit: 'evaluations/CPU-s' },
    jsSbom: { label: 'hand-written JS predicate, same decision over the same SBOM', unit: 'evaluations/CPU-s' },
    components: { label: 'components in the SBOM (realdata laravel-7.12.0.bom.1.4.json)', unit: 'count' },
  },
  // No target: per digest a verdict costs microseconds either way; the ratios say what the policy
  // engine (verdict objects, CEL) costs over the floor.
  figures: [
    { id: 'key', label: 'key-only policy vs a JS predicate', value: 'key', baseline: 'jsKey', better: 'higher', tolerance: 0.3 },
    { id: 'sbom', label: 'SBOM licence CEL condition vs a JS predicate', value: 'sbom', baseline: 'jsSbom', better: 'higher', tolerance: 0.3 },
  ],
};

const registryIntake: BenchSpec = {
  name: 'registry-intake',
  title: 'Registry webhook intake to durable acceptance',
  order: 11,
  page: 'registry.md',
  args: ['--n', '2000', '--concurrency', '16'],
  nodeArgs: [],
  services: [],
  measurements: {
    intake: { label: 'distribution deliveries through the router to durable 202 (EmbeddedBus file + seen-set), median of rounds', unit: 'events/s' },
    routerRaw: { label: 'the same router on a trivial authenticated POST route answering 202, median of rounds', unit: 'events/s' },
    pairedRatio: { label: 'intake rate / raw router rate, median over interleaved rounds', unit: 'ratio' },
    deliveries: { label: 'deliveries per round', unit: 'count' },
    concurrency: { label: 'concurrent clients', unit: 'count' },
  },
  // No target yet: docs/registry.md quotes the ratio (what durable acceptance costs over the router).
  figures: [
    {
      id: 'intake-vs-router',
      label: 'webhook delivery to durable 202 vs the raw router',
      value: 'intake',
      baseline: 'routerRaw',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds of intake deliveries/s / raw router deliveries/s' },
      better: 'higher',
      tolerance: 0.3,
    },
  ],
};

const keyMisuse: BenchSpec = {
  name: 'key-misuse',
  title: 'Key-misuse detector: events through every rule vs parse and validate',
  order: 12,
  page: 'key-misuse.md',
  args: ['--seconds', '1', '--rounds', '3'],
  nodeArgs: [],
  services: [],
  measurements: {
    detector: { label: 'artifact.verified through the detector: JSON.parse + validation + every rule + state (median of rounds)', unit: 'events/CPU-s' },
    baseline: { label: 'the same events: JSON.parse + CloudEvent and payload validation only (median of rounds)', unit: 'events/CPU-s' },
    pairedRatio: { label: 'detector rate / baseline rate, median over interleaved rounds', unit: 'ratio' },
    corpus: { label: 'distinct events (real Fulcio signers from realdata x509/fulcio)', unit: 'count' },
    eventBytes: { label: 'mean event JSON size', unit: 'B' },
  },
  // No target: docs/key-misuse.md quotes the ratio (what the detector adds to reading the events).
  figures: [
    {
      id: 'detector-vs-parse',
      label: 'an artifact.verified event through the key-misuse detector vs parsing and validating it',
      value: 'detector',
      baseline: 'baseline',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds of detector events/CPU-s / baseline events/CPU-s' },
      better: 'higher',
      tolerance: 0.3,
    },
  ],
};

const ct: BenchSpec = {
  name: 'ct',
  title: 'CT collector catch-up vs certspotter (real ct_server)',
  order: 13,
  page: 'ct.md',
  args: ['--entries', '20000', '--rounds', '3'],
  nodeArgs: [],
  services: ['ctlog'],
  measurements: {
    entries: { label: 'entries in the real RFC 6962 log (distinct certificates), each round follows all from index 0', unit: 'count' },
    chainwatchRate: { label: 'chainwatch CT collector: download, full audit, parse, publish onto the embedded bus (median of rounds)', unit: 'entries/s' },
    certspotterRate: { label: 'certspotter 0.16 (Debian), GOMAXPROCS=1, same log and backlog (median of rounds)', unit: 'entries/s' },
    pairedRatio: { label: 'chainwatch entries/s / certspotter entries/s, median over interleaved rounds', unit: 'ratio' },
    chainwatchCpu: { label: 'chainwatch CPU per entry (this process)', unit: 'µs' },
    certspotterCpu: { label: 'certspotter CPU per entry (its process)', unit: 'µs' },
    peakRss: { label: 'chainwatch peak RSS during the catch-up (bench process, sampled every 50 ms)', unit: 'MiB' },
  },
  figures: [
    {
      id: 'catch-up',
      label: 'catch-up rate against certspotter on the same log',
      value: 'chainwatchRate',
      baseline: 'certspotterRate',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds (certspotter, then chainwatch) of the entries/s ratio' },
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 2 }],
      tolerance: 0.3,
    },
    {
      id: 'catch-up-rss',
      label: 'peak RSS while catching up the backlog',
      value: 'peakRss',
      better: 'lower',
      checks: [{ of: 'value', op: '<=', bound: 256 }],
      tolerance: 0.3,
    },
  ],
};

const admission: BenchSpec = {
  name: 'admission',
  title: 'Kubernetes admission webhook latency (collectors.admission) through the HTTPS router',
  order: 12,
  page: 'admission.md',
  args: ['--rate', '200', '--seconds', '5', '--cold', '20', '--kube', '200'],
  nodeArgs: [],
  services: ['ocireg', 'kube'],
  measurements: {
    warmP50: { label: 'warm cache: AdmissionReview for a digest-pinned Pod with a cached verdict, 200 req/s open loop, p50', unit: 'µs' },
    warmP99: { label: 'warm cache, same, p99', unit: 'µs' },
    noopP50: { label: 'no-op route on the same HTTPS listener (same auth, client and rate) answering a fixed AdmissionReview, p50', unit: 'µs' },
    noopP99: { label: 'no-op route, same, p99', unit: 'µs' },
    coldP50: { label: 'cold: fresh tag on the local registry (resolve, verify request, discovery by collectors.signatures, verdict back), p50', unit: 'µs' },
    coldP99: { label: 'cold, same, p99', unit: 'µs' },
    deadline: { label: 'configured deadline (collectors.admission.deadline)', unit: 'µs' },
    coldInTime: { label: 'cold requests answered with a verdict before the deadline', unit: 'count' },
    coldRequests: { label: 'cold requests', unit: 'count' },
    rate: { label: 'fixed request rate of the warm and no-op runs (per second)', unit: 'count' },
    requests: { label: 'warm requests measured (all rounds)', unit: 'count' },
    apiP50: { label: 'through the real kube-apiserver: server-side dry-run Pod create in a namespace the webhook selects (warm verdict), p50', unit: 'µs' },
    apiP99: { label: 'through the real kube-apiserver, same, p99', unit: 'µs' },
    apiBaseP50: { label: 'the same dry-run create in a namespace the webhook does not select (no webhook call), p50', unit: 'µs' },
    apiBaseP99: { label: 'the same without the webhook, p99', unit: 'µs' },
  },
  figures: [
    {
      id: 'warm-p99',
      label: 'warm-cache p99 at 200 req/s vs the no-op route p99 (issue 12 target: ≤ 20 ms)',
      value: 'warmP99',
      baseline: 'noopP99',
      better: 'lower',
      checks: [{ of: 'value', op: '<=', bound: 20_000 }],
      tolerance: 0.5,
    },
    { id: 'warm-p50', label: 'warm-cache p50 vs the no-op route p50', value: 'warmP50', baseline: 'noopP50', better: 'lower', tolerance: 0.5 },
    {
      id: 'api-p99',
      label: 'Pod create through the kube-apiserver with the webhook (warm) vs without it, p99',
      value: 'apiP99',
      baseline: 'apiBaseP99',
      better: 'lower',
      tolerance: 0.5,
    },
    {
      id: 'api-p50',
      label: 'Pod create through the kube-apiserver with the webhook (warm) vs without it, p50',
      value: 'apiP50',
      baseline: 'apiBaseP50',
      better: 'lower',
      tolerance: 0.5,
    },
    {
      id: 'cold-p99',
      label: 'cold p99 against the local registry vs the deadline (must stay within it)',
      value: 'coldP99',
      baseline: 'deadline',
      better: 'lower',
      checks: [{ of: 'value', op: '<=', bound: 2_000_000 }],
      tolerance: 0.5,
    },
  ],
};

const provenance: BenchSpec = {
  name: 'provenance',
  title: 'Provenance scoring: feature extraction and ONNX inference vs JSON.parse',
  order: 14,
  page: 'provenance.md',
  args: ['--seconds', '1', '--rounds', '3', '--batch', '256'],
  nodeArgs: [],
  services: [],
  measurements: {
    parse: { label: 'baseline: plain JSON.parse of the same documents (median of rounds)', unit: 'documents/CPU-s' },
    extract: {
      label: 'feature extraction: parse + depth check + normalise + history context + features + history update (median of rounds)',
      unit: 'documents/CPU-s',
    },
    infer: { label: 'inference alone on extracted rows, batches of 256, onnxruntime-node one thread (median of rounds)', unit: 'documents/CPU-s' },
    batched: {
      label: 'scored batched: extraction + scoreBatch (inference, floor rules, attribution), batches of 256 (median of rounds)',
      unit: 'documents/CPU-s',
    },
    single: { label: 'scored one at a time: extraction + scoreBatch of one document (median of rounds)', unit: 'documents/CPU-s' },
    batchedRatio: { label: 'batched rate / JSON.parse rate, median over interleaved rounds', unit: 'ratio' },
    extractRatio: { label: 'extraction rate / JSON.parse rate, median over interleaved rounds', unit: 'ratio' },
    singleP50: { label: 'single-document latency (extraction + scoring), median, wall clock, last round', unit: 'µs' },
    singleP99: { label: 'single-document latency (extraction + scoring), 99th percentile, wall clock, last round', unit: 'µs' },
    corpus: { label: 'documents: generated releases of 50 repositories x 20, each against its earlier releases', unit: 'count' },
    docBytes: { label: 'mean document (in-toto Statement JSON) size', unit: 'B' },
    batch: { label: 'documents per inference call (batched)', unit: 'count' },
  },
  figures: [
    {
      id: 'batched',
      label: 'documents scored per CPU-second, batched, vs JSON.parse of the same documents',
      value: 'batched',
      baseline: 'parse',
      ratio: { measurement: 'batchedRatio', method: 'median over interleaved rounds of batched documents/CPU-s / JSON.parse documents/CPU-s' },
      better: 'higher',
      checks: [{ of: 'value', op: '>=', bound: 20000 }],
      tolerance: 0.3,
    },
    {
      id: 'extract',
      label: 'feature extraction alone vs JSON.parse of the same documents',
      value: 'extract',
      baseline: 'parse',
      ratio: { measurement: 'extractRatio', method: 'median over interleaved rounds of extraction documents/CPU-s / JSON.parse documents/CPU-s' },
      better: 'higher',
      tolerance: 0.3,
    },
    {
      id: 'single-p99',
      label: 'p99 wall-clock latency of one document scored alone (extraction + inference + attribution; includes preemption on the shared machine)',
      value: 'singleP99',
      better: 'lower',
      checks: [{ of: 'value', op: '<=', bound: 2000 }],
      tolerance: 0.5,
    },
  ],
};

const k8sWatch: BenchSpec = {
  name: 'k8s-watch',
  title: 'Cluster watch (collectors.k8s) through the real kube-apiserver',
  order: 15,
  page: 'k8s-watch.md',
  args: ['--pods', '500', '--rounds', '3'],
  nodeArgs: [],
  services: ['kube'],
  measurements: {
    chainwatch: {
      label:
        'N Pod ADDED events replayed from a resourceVersion: k8s.workload.started durable on the embedded bus, snapshot and cursor stored (median of rounds)',
      unit: 'events/s',
    },
    raw: { label: 'the same events read by a raw HTTPS watch stream reader (split lines + JSON.parse; median of rounds)', unit: 'events/s' },
    pairedRatio: { label: 'chainwatch rate / raw rate, median over rounds', unit: 'ratio' },
    pods: { label: 'Pods per round', unit: 'count' },
  },
  // No target: the issue asks for the figure (watch events/s).
  figures: [
    {
      id: 'watch-vs-raw',
      label: 'cluster watch to durable events vs a raw watch stream reader',
      value: 'chainwatch',
      baseline: 'raw',
      ratio: { measurement: 'pairedRatio', method: 'median over rounds of chainwatch events/s / raw events/s' },
      better: 'higher',
      tolerance: 0.3,
    },
  ],
};

export const BENCHES: readonly BenchSpec[] = [
  busEmbedded,
  busKafka,
  rekor,
  rekorLive,
  tlog,
  audit,
  sinks,
  hsm,
  ctWatch,
  signatures,
  policy,
  registryIntake,
  keyMisuse,
  admission,
  ct,
  provenance,
  k8sWatch,
];

export function benchSpec(name: string): BenchSpec {
  const spec = BENCHES.find((b) => b.name === name);
  if (!spec) throw new Error(`unknown bench '${name}' (known: ${BENCHES.map((b) => b.name).join(', ')})`);
  return spec;
}
