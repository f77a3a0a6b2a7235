import { formatDuration, SEVERITIES, severityRank, type Severity } from '../../../core/index.js';
import type { AuditKind, RecordFields, StoredRow } from '../port.js';
import type { PreparedRecord } from '../record.js';

/**
 * Index layout (prefix defaults to chainwatch-audit):
 *   <prefix>-YYYY.MM      records, one index per month of recordedAt; write-blocked once the
 *                         month is over (index.blocks.write), deleted by the retention policy
 *   <prefix>.nodes        stored Merkle tree nodes, doc id "<level>-<index>"
 *   <prefix>.checkpoints  signed checkpoints, doc id = tree size
 * Every document is written with op_type=create and a deterministic id, so nothing is ever
 * overwritten through the API we use. Field names follow ECS where ECS has one.
 */
export const recordsIndex = (prefix: string, at: Date): string => `${prefix}-${at.getUTCFullYear()}.${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
export const recordsPattern = (prefix: string): string => `${prefix}-*`;
export const nodesIndex = (prefix: string): string => `${prefix}.nodes`;
export const checkpointsIndex = (prefix: string): string => `${prefix}.checkpoints`;

const kw = { type: 'keyword' };
const stored = { type: 'keyword', index: false, doc_values: false };

export function indexTemplate(prefix: string, replicas: number): object {
  return {
    index_patterns: [recordsPattern(prefix)],
    priority: 200,
    template: {
      settings: {
        number_of_shards: 1,
        number_of_replicas: replicas,
        // fsync the translog before acknowledging a bulk: append() resolves only when durable.
        'index.translog.durability': 'request',
      },
      mappings: {
        dynamic: 'strict',
        properties: {
          '@timestamp': { type: 'date' },
          message: { type: 'text' },
          event: {
            properties: {
              id: kw,
              kind: kw,
              category: kw,
              type: kw,
              action: kw,
              dataset: kw,
              severity: { type: 'integer' },
              created: { type: 'date' },
            },
          },
          chainwatch: {
            properties: {
              audit: {
                properties: {
                  index: { type: 'long' },
                  id: kw,
                  kind: kw,
                  type: kw,
                  subject: kw,
                  digest: kw,
                  identity: kw,
                  severity: kw,
                  recorded_at: { type: 'date' },
                  topic: kw,
                  partition: { type: 'integer' },
                  offset: { type: 'long' },
                  body: stored,
                  leaf_hash: stored,
                },
              },
            },
          },
        },
      },
    },
  };
}

export const sideIndexBody = (replicas: number): object => ({
  settings: { number_of_shards: 1, number_of_replicas: replicas, 'index.translog.durability': 'request' },
  mappings: {
    dynamic: 'strict',
    properties: {
      level: { type: 'integer' },
      index: { type: 'long' },
      hash: stored,
      size: { type: 'long' },
      root_hash: stored,
      note: stored,
      created_at: { type: 'date' },
    },
  },
});

/**
 * ISM policy: records indices stay writable for their month, become read-only after 32 days
 * (the write block, again, for indices this store did not block itself), and are deleted after
 * `retentionMs` (written in OpenSearch's time units: '400d', '12h'). Elasticsearch users set the equivalent ILM policy (docs/audit.md).
 */
export function ismPolicy(prefix: string, retentionMs: number | undefined): object {
  const states: object[] = [
    { name: 'open', actions: [], transitions: [{ state_name: 'closed', conditions: { min_index_age: '32d' } }] },
    {
      name: 'closed',
      actions: [{ read_only: {} }],
      transitions: retentionMs ? [{ state_name: 'deleted', conditions: { min_index_age: formatDuration(retentionMs) } }] : [],
    },
  ];
  if (retentionMs) states.push({ name: 'deleted', actions: [{ delete: {} }], transitions: [] });
  return {
    policy: {
      description: 'chainwatch audit trail: write-block closed months, delete after retention',
      default_state: 'open',
      states,
      ism_template: [{ index_patterns: [recordsPattern(prefix)], priority: 100 }],
    },
  };
}

const ECS_KIND: Record<AuditKind, { kind: string; category: string[]; type: string[] }> = {
  event: { kind: 'event', category: ['package'], type: ['info'] },
  finding: { kind: 'alert', category: ['intrusion_detection'], type: ['indicator'] },
  delivery: { kind: 'event', category: ['network'], type: ['info'] },
  operator: { kind: 'event', category: ['configuration'], type: ['change'] },
};

export function recordDocument(p: PreparedRecord): object {
  const r = p.record;
  const f = p.fields;
  return {
    '@timestamp': f.time,
    message: `${f.kind} ${f.type}${f.subject ? ` ${f.subject}` : ''}`,
    event: {
      id: f.id,
      ...ECS_KIND[f.kind],
      action: f.type,
      dataset: 'chainwatch.audit',
      ...(f.severity ? { severity: severityRank(f.severity) } : {}),
      created: r.recordedAt,
    },
    chainwatch: {
      audit: {
        index: r.index,
        id: f.id,
        kind: f.kind,
        type: f.type,
        subject: f.subject,
        digest: f.digest,
        identity: f.identity,
        severity: f.severity,
        recorded_at: r.recordedAt,
        ...(r.position ? { topic: r.position.topic, partition: r.position.partition, offset: r.position.offset } : {}),
        body: p.body,
        leaf_hash: p.leafHash.toString('hex'),
      },
    },
  };
}

export interface RecordDoc {
  '@timestamp'?: string;
  event?: { severity?: number };
  chainwatch?: { audit?: Record<string, unknown> };
}

/**
 * The stored row as verify sees it. @timestamp and the ECS severity are what queries and
 * dashboards use, so they are the values checked against the body (not the chainwatch copies).
 */
export function rowFromHit(hit: { _id: string; _source: RecordDoc }): StoredRow {
  const a = hit._source.chainwatch?.audit ?? {};
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const rank = hit._source.event?.severity;
  // Lookups (get by index, scan, paging, leaf reads for proofs) go through chainwatch.audit.index,
  // while the position is the _id: a rewritten index field is a searchable field that lies.
  const indexIntact = typeof a.index === 'number' && String(a.index) === hit._id;
  const fields: RecordFields = {
    id: indexIntact ? (str(a.id) ?? '') : '\u0000chainwatch.audit.index differs from _id',
    kind: (str(a.kind) ?? '') as AuditKind,
    type: str(a.type) ?? '',
    time: str(hit._source['@timestamp']) ?? '',
    subject: str(a.subject),
    digest: str(a.digest),
    identity: str(a.identity),
    severity: typeof rank === 'number' ? ((SEVERITIES[rank] ?? 'invalid') as Severity) : null,
  };
  return {
    position: /^\d+$/.test(hit._id) ? Number(hit._id) : -1,
    body: str(a.body) ?? '',
    leafHash: Buffer.from(str(a.leaf_hash) ?? '', 'hex'),
    fields,
  };
}
