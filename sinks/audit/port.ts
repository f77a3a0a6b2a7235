import type { Severity } from '../../core/index.js';
import type { NodeId } from '../../core/tlog/index.js';

/**
 * The audit trail's storage port. Backends: SqliteAuditStore (default) and OpenSearchAuditStore
 * (through either official client). Both pass the contract suite in testing/contract.ts.
 *
 * Guarantees every backend gives:
 * - append() resolves only once the records AND the tree nodes they complete are durable, and
 *   assigns consecutive indices from size(); the store is append-only (SQL triggers / create-only
 *   document ids and write-blocked indices), and verify() catches what bypasses that.
 * - One writer per store (the daemon's AuditSink, or the CLI for notes when the daemon is down):
 *   appends are serialised inside the store instance.
 * - nodes() serves level-0 nodes (leaf hashes) and the stored levels of core/tlog/tree.ts, so
 *   roots and proofs are O(log n) reads.
 */
export const AUDIT_KINDS = ['event', 'finding', 'delivery', 'operator'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** Where a record came from on the bus: lets the sink skip redelivered events (at-least-once bus). */
export interface BusPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** What a caller appends. */
export interface AuditEntry {
  kind: AuditKind;
  /** Event id, finding id, or operator action id. Not unique by contract: get() returns the first. */
  id: string;
  /** CloudEvents type, or `operator.<action>`. */
  type: string;
  /** When the recorded thing happened (event time), ISO 8601. */
  time: string;
  subject?: string;
  /** Artifact digest "<alg>:<hex>" when the record is about one. */
  digest?: string;
  /** Signer identity (Fulcio SAN) or the operator who acted. */
  identity?: string;
  severity?: Severity;
  source?: string;
  position?: BusPosition;
  /** The whole event (or operator action): JSON, canonicalised into the leaf. */
  payload: unknown;
}

/** A stored record: the leaf of the audit tree is leafHash(canonicalJson(record)). */
export interface AuditRecord extends AuditEntry {
  index: number;
  /** When the audit store accepted it, ISO 8601 (ms). */
  recordedAt: string;
}

/** A row as stored, for verification: nothing in it is trusted. */
export interface StoredRow {
  /** Position in the store (SQLite primary key / OpenSearch document id). */
  position: number;
  /** The canonical JSON body as stored. */
  body: string;
  /** The leaf hash stored beside it. */
  leafHash: Buffer;
  /** The searchable fields as stored (see recordFields in record.ts). */
  fields: RecordFields;
}

/** The searchable projection of a record; must always equal recordFields(parse(body)). */
export interface RecordFields {
  id: string;
  kind: AuditKind;
  type: string;
  time: string;
  subject: string | null;
  digest: string | null;
  identity: string | null;
  severity: Severity | null;
}

export interface AuditQuery {
  /** Inclusive lower / exclusive upper bound on `time`, ISO 8601. */
  since?: string;
  until?: string;
  subject?: string;
  digest?: string;
  identity?: string;
  /** Exact type, or a prefix ending in `*` ("dev.chainwatch.tlog.*"). */
  type?: string;
  kind?: AuditKind;
  /** Minimum severity, inclusive. */
  severity?: Severity;
  /** Paging: records with index greater than this (ascending) / lower (descending). */
  after?: number;
  limit?: number;
  order?: 'asc' | 'desc';
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: number;
}

/** A signed checkpoint of the audit tree (C2SP tlog-checkpoint in a signed note). */
export interface StoredCheckpoint {
  size: number;
  /** Hex SHA-256 root. */
  rootHash: string;
  /** The signed note, verbatim. */
  note: string;
  createdAt: string;
}

/**
 * How many rows one table (or one level of the node table) holds, and the lowest and highest
 * index among them (null when empty): `audit verify` compares this with what the verified tree
 * size implies, so a forged extra row anywhere in the store is counted, not just those the walk
 * reads. `table` is backend-neutral: records (bodies), fields (searchable projection; in the same
 * document as the body on search backends, so absent there), nodes (per level) and checkpoints
 * (index = tree size).
 */
export interface TableCensus {
  table: 'records' | 'fields' | 'nodes' | 'checkpoints';
  /** Tree level, for nodes. */
  level?: number;
  count: number;
  min: number | null;
  max: number | null;
}

export interface AuditStore {
  readonly kind: 'sqlite' | 'opensearch';
  /** Creates tables / templates as needed and loads the tree frontier. Idempotent. */
  open(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
  append(entries: readonly AuditEntry[]): Promise<AuditRecord[]>;
  /** Number of records (the next index). */
  size(): Promise<number>;
  get(ref: { index: number } | { id: string }): Promise<AuditRecord | undefined>;
  query(q: AuditQuery): Promise<AuditPage>;
  /** Leaf hashes of [start, end). */
  leafHashes(start: number, end: number): Promise<Buffer[]>;
  /** Stored tree nodes, in the order asked (a core/tlog/tree NodeReader). */
  nodes(ids: readonly NodeId[]): Promise<Buffer[]>;
  /** Raw rows by position, ascending, starting at `from`; fewer than `limit` means the end. */
  scan(from: number, limit: number): Promise<StoredRow[]>;
  putCheckpoint(cp: StoredCheckpoint): Promise<void>;
  /** All checkpoints, ascending by size. */
  listCheckpoints(): Promise<StoredCheckpoint[]>;
  /**
   * Bus positions of the newest `limit` records that came from the bus, newest first: the sink
   * skips redeliveries of these after a restart (the bus is at-least-once, and Kafka hands
   * different keys of one partition out concurrently, so "offset <= max" would be wrong).
   */
  recentPositions(limit: number): Promise<BusPosition[]>;
  /** Every row of every table, counted (see TableCensus). */
  census(): Promise<TableCensus[]>;
}
