import { type BusRecord, CanonicalJsonError, canonicalJson, type CloudEvent, familyOf, SEVERITIES, type Severity } from '../../core/index.js';
import { leafHashUtf8, TreeBuilder, type NodeId } from '../../core/tlog/index.js';
import { AuditError } from './errors.js';
import { AUDIT_KINDS, type AuditEntry, type AuditKind, type AuditRecord, type RecordFields } from './port.js';

/** Turns a consumed bus record into an audit entry; the whole event is the payload. */
export function entryFromBusRecord(rec: BusRecord): AuditEntry {
  const ev = rec.event;
  const kind = kindOf(ev.type);
  const data = (ev.data ?? {}) as Record<string, unknown>;
  const entry: AuditEntry = {
    kind,
    id: kind === 'finding' && typeof data.findingId === 'string' ? data.findingId : ev.id,
    type: ev.type,
    time: ev.time ?? new Date().toISOString(),
    source: ev.source,
    position: { topic: rec.topic, partition: rec.partition, offset: Number(rec.offset) },
    payload: ev,
  };
  if (ev.subject !== undefined) entry.subject = ev.subject;
  const digest = digestOf(ev);
  if (digest) entry.digest = digest;
  const identity = identityOf(ev);
  if (identity) entry.identity = identity;
  if (typeof data.severity === 'string' && (SEVERITIES as readonly string[]).includes(data.severity)) entry.severity = data.severity as Severity;
  return entry;
}

function kindOf(type: string): AuditKind {
  // Delivery reports ride the audit family (sinks/alerts); findings have their own family.
  if (/\.deliver(y|ed)\./.test(type)) return 'delivery';
  try {
    return familyOf(type) === 'findings' ? 'finding' : 'event';
  } catch {
    return 'event';
  }
}

const DIGEST = /^(sha256|sha384|sha512):[0-9a-f]{32,128}$/;

function digestOf(ev: CloudEvent): string | undefined {
  if (ev.subject && DIGEST.test(ev.subject)) return ev.subject;
  const d = ev.data as { artifact?: { digests?: { algorithm?: unknown; value?: unknown }[] }; evidence?: Record<string, unknown> } | undefined;
  const first = d?.artifact?.digests?.[0];
  if (first && typeof first.algorithm === 'string' && typeof first.value === 'string') return `${first.algorithm.toLowerCase()}:${first.value.toLowerCase()}`;
  const ev2 = d?.evidence?.digest;
  return typeof ev2 === 'string' ? ev2 : undefined;
}

function identityOf(ev: CloudEvent): string | undefined {
  const d = ev.data as { signers?: { san?: unknown }[]; labels?: Record<string, unknown>; evidence?: Record<string, unknown> } | undefined;
  const san = d?.signers?.find((s) => typeof s.san === 'string')?.san;
  if (typeof san === 'string') return san;
  const id = d?.labels?.identity ?? d?.evidence?.identity;
  return typeof id === 'string' ? id : undefined;
}

/** The searchable projection; stores index these and verify checks they match the body. */
export function recordFields(r: AuditRecord): RecordFields {
  return {
    id: r.id,
    kind: r.kind,
    type: r.type,
    time: r.time,
    subject: r.subject ?? null,
    digest: r.digest ?? null,
    identity: r.identity ?? null,
    severity: r.severity ?? null,
  };
}

export function sameFields(a: RecordFields, b: RecordFields): boolean {
  return (Object.keys(a) as (keyof RecordFields)[]).every((k) => a[k] === b[k]);
}

/** Canonical body and its leaf hash. */
export function encodeRecord(r: AuditRecord): { body: string; leafHash: Buffer } {
  let body: string;
  try {
    body = canonicalJson(r);
  } catch (err) {
    if (!(err instanceof CanonicalJsonError)) throw err;
    throw new AuditError('AUDIT_RECORD_INVALID', `record ${r.index} cannot be recorded: ${err.message}`, { cause: err });
  }
  return { body, leafHash: leafHashUtf8(body) };
}

/** Parses a stored body back into a record; throws AUDIT_RECORD_INVALID on anything else. */
export function parseRecordBody(body: string): AuditRecord {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (err) {
    throw new AuditError('AUDIT_RECORD_INVALID', 'stored record is not JSON', { cause: err });
  }
  const r = v as Partial<AuditRecord> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    !Number.isSafeInteger(r.index) ||
    typeof r.id !== 'string' ||
    typeof r.type !== 'string' ||
    typeof r.time !== 'string' ||
    typeof r.recordedAt !== 'string' ||
    !(AUDIT_KINDS as readonly string[]).includes(r.kind as string)
  ) {
    throw new AuditError('AUDIT_RECORD_INVALID', 'stored record lacks index, id, kind, type, time or recordedAt');
  }
  return r as AuditRecord;
}

function checkEntry(e: AuditEntry): void {
  if (!(AUDIT_KINDS as readonly string[]).includes(e.kind) || !e.id || !e.type || Number.isNaN(Date.parse(e.time))) {
    throw new AuditError('AUDIT_RECORD_INVALID', 'audit entry needs a known kind, an id, a type and a valid time');
  }
}

export interface PreparedRecord {
  record: AuditRecord;
  body: string;
  leafHash: Buffer;
  fields: RecordFields;
}
export interface PreparedBatch {
  records: PreparedRecord[];
  /** Tree nodes (stored levels above 0) these records complete. */
  nodes: { id: NodeId; hash: Buffer }[];
}

/**
 * Shared append logic of every backend: assigns indices, canonicalises, hashes, and extends the
 * tree frontier. The frontier is advanced on a copy and only adopted by commit(), after the
 * backend made the batch durable; a failed write leaves the planner where it was.
 */
export class AppendPlanner {
  #builder: TreeBuilder;
  #pending: TreeBuilder | undefined;

  constructor(builder: TreeBuilder) {
    this.#builder = builder;
  }

  get size(): number {
    return this.#builder.size;
  }

  prepare(entries: readonly AuditEntry[], now: Date): PreparedBatch {
    const next = this.#builder.clone();
    const recordedAt = now.toISOString();
    const out: PreparedBatch = { records: [], nodes: [] };
    for (const e of entries) {
      checkEntry(e);
      const record = recordOf(e, next.size, recordedAt);
      const { body, leafHash: leaf } = encodeRecord(record);
      out.records.push({ record, body, leafHash: leaf, fields: recordFields(record) });
      for (const n of next.append(leaf)) out.nodes.push(n);
    }
    this.#pending = next;
    return out;
  }

  /** The batch from the last prepare() is durable. */
  commit(): void {
    if (this.#pending) this.#builder = this.#pending;
    this.#pending = undefined;
  }
}

/** Every member an AuditEntry may have; an entry with others takes the general path in recordOf(). */
const ENTRY_MEMBERS = new Set(['kind', 'id', 'type', 'time', 'subject', 'digest', 'identity', 'severity', 'source', 'position', 'payload']);

/**
 * The record for an entry: the entry's members plus index and recordedAt, undefined ones left
 * out. Built with the members already in canonical (sorted) order, so canonicalJson() can take
 * the object as it is instead of copying it; the result is the same object as the spread (and the
 * same canonical bytes) either way. An entry carrying members outside the AuditEntry type keeps
 * them, as it always did (general path).
 */
function recordOf(e: AuditEntry, index: number, recordedAt: string): AuditRecord {
  for (const k of Object.keys(e)) if (!ENTRY_MEMBERS.has(k)) return dropUndefined<AuditRecord>({ ...e, index, recordedAt });
  const r: Partial<AuditRecord> = {};
  if (e.digest !== undefined) r.digest = e.digest;
  r.id = e.id;
  if (e.identity !== undefined) r.identity = e.identity;
  r.index = index;
  r.kind = e.kind;
  if (e.payload !== undefined) r.payload = e.payload;
  if (e.position !== undefined) r.position = e.position;
  r.recordedAt = recordedAt;
  if (e.severity !== undefined) r.severity = e.severity;
  if (e.source !== undefined) r.source = e.source;
  if (e.subject !== undefined) r.subject = e.subject;
  r.time = e.time;
  r.type = e.type;
  return r as AuditRecord;
}

function dropUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}
