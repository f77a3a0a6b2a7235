import type { HttpClient, CloudEvent, RekorEntry } from '../../core/index.js';
import type { Checkpoint } from '../../core/tlog/index.js';
import type { LogKey } from '../../trust/index.js';
import type { RekorCollectorConfig } from './config.js';
import type { TileCursor } from '../shared/tiles/index.js';

/**
 * What a follower (one per log protocol: v1-follower.ts, v2-follower.ts) gets from the
 * collector: configuration, the log key, the durable cursor, and the only ways to emit.
 *
 * Cursor invariant (the collector relies on it to resume exactly after a restart or crash):
 *   - `head` is the newest checkpoint whose signature AND consistency with the previous head were
 *     verified (or, for a tile log, whose root was rebuilt from every leaf); it moves only then.
 *   - `verified` is the next global log index to publish: every entry below it was verified
 *     against a verified head and its event durably published (bus.publish resolved) BEFORE the
 *     cursor was written. `fetched` may run ahead of `verified`; it is informational only.
 *   - Restart resumes at `verified`: an entry may be published twice (at-least-once), never skipped.
 */
export type Cursor = TileCursor;
/*
 * One persisted shape for both protocols (collectors/shared/tiles TileCursor, the same JSON as
 * before the tile code moved there): { fetched, verified, head?: { origin, size, rootHash
 * (base64) }, range? }, where `range`, the compact range of [0, verified), is set for tile logs only.
 */

export interface FollowerHost {
  readonly config: RekorCollectorConfig;
  /** config.url without credentials or query: the only form that goes into events and logs. */
  readonly publicUrl: string;
  readonly key: LogKey;
  readonly http: HttpClient;
  readonly signal: AbortSignal;
  cursor(): Cursor | undefined;
  /** Retries retriable failures (429/5xx/network) with core/retry.ts, reporting each as an anomaly. */
  retry<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Publishes a verified checkpoint event (durably), `note` being the signed note it came in — call only after verification. */
  checkpointVerified(cp: Checkpoint, note: string, consistentWith: number | undefined): Promise<void>;
  /** The verified head did not move (same size, same root): re-published at most every checkpointHeartbeat. */
  checkpointUnchanged(cp: Checkpoint, note: string): Promise<void>;
  /** Publishes events durably, THEN persists the cursor. Never call with unverified entries. */
  commit(events: CloudEvent[], next: Cursor): Promise<void>;
  /** Publishes an anomaly for a failure (mapped to its kind by error class + code). */
  anomaly(err: unknown, evidence?: Record<string, unknown>): Promise<void>;
  /** Builds the entry event for verified data. */
  entryEvent(data: RekorEntry): CloudEvent;
  anomalyEvent(err: unknown, evidence?: Record<string, unknown>): CloudEvent;
  setOrigin(origin: string): void;
}

/** One polling round: read, verify, fetch, publish. Throws on the failure that stopped it. */
export interface Follower {
  round(host: FollowerHost): Promise<void>;
}
