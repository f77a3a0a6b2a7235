import type { CompactRangeJSON } from '../../core/tlog/index.js';
import type { CtLogEntry } from './leaf.js';

/**
 * What both CT followers (rfc6962-follower.ts, static-follower.ts) hand their collector, and the
 * durable per-log position the collector persists (core/sqlite state table via ctx.state).
 *
 * Cursor invariant (restart resumes exactly; at-least-once, never a gap):
 *   - `head` is the newest tree head whose signature verified AND that was proven consistent with
 *     the previous head (RFC 6962 consistency proof, or roots rebuilt from tiles); it moves only then.
 *   - `verified` is the next log index to publish: every entry below it was downloaded, its leaf
 *     hash folded into `range` (the compact range of [0, verified)), and that range reproduced the
 *     signed root of `head` (directly, or with the log's inclusion proof of the batch's last
 *     leaf), and its event was durably published BEFORE this cursor was written.
 *   - `fetched` may run ahead of `verified`; it is informational (lag, `ct logs`).
 */
export interface CtCursor {
  fetched: number;
  verified: number;
  head?: { origin: string; size: number; rootHash: string; timestamp?: number };
  range?: CompactRangeJSON;
}

export interface TreeHeadSeen {
  origin: string;
  size: number;
  rootHash: Buffer;
  timestamp?: number;
  /** The signed head as served (get-sth JSON, or the checkpoint note), for events and evidence. */
  raw: string;
}

/** One audited entry: parsed when its TLS structures parse, else the parse error (hash still audited). */
export interface AuditedEntry {
  index: number;
  leafHash: Buffer;
  entry?: CtLogEntry;
  error?: unknown;
}

export interface CtBatch {
  head: TreeHeadSeen;
  first: number;
  entries: AuditedEntry[];
}

export interface CtFollowerHost {
  readonly signal: AbortSignal;
  cursor(): CtCursor | undefined;
  /** Runs a request, retrying retriable failures (core/retry, Retry-After honoured). */
  retry<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** A new head, verified and consistent with `consistentWith` (undefined: first head). */
  headVerified(head: TreeHeadSeen, consistentWith: number | undefined): Promise<void>;
  headUnchanged(head: TreeHeadSeen): Promise<void>;
  /** Publishes the batch durably, THEN persists `next`. Never called with anything unaudited. */
  commit(batch: CtBatch, next: CtCursor): Promise<void>;
}

export interface CtFollower {
  round(host: CtFollowerHost): Promise<void>;
}

/**
 * Evidence attached to a failure (both tree heads of a fork or rewind), read by the collector when
 * it reports the anomaly. A WeakMap, so errors keep their class and code.
 */
const EVIDENCE = new WeakMap<object, Record<string, unknown>>();
export function withEvidence<E>(err: E, evidence: Record<string, unknown>): E {
  if (typeof err === 'object' && err !== null) EVIDENCE.set(err, evidence);
  return err;
}
export function evidenceOf(err: unknown): Record<string, unknown> {
  return (typeof err === 'object' && err !== null && EVIDENCE.get(err)) || {};
}
