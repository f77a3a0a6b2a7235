import {
  CheckpointObservedEvent,
  type CloudEvent,
  describeError,
  HttpError,
  makeEvent,
  RetryError,
  TlogAnomalyEvent,
  type TlogAnomalyKind,
} from '../../../core/index.js';

/** Where a log collector stands: the same fields open every tlog event it publishes. */
export interface LogVantage {
  /** CloudEvent source, e.g. "chainwatch/collectors/ct/primary". */
  source: string;
  /** The log's origin (checkpoint origin line): the events' subject. */
  origin: string;
  /** The log's public URL (never one with credentials). */
  url: string;
  vantage: string;
  now: Date;
}

/** A verified tree head as a tlog checkpoint event (one shape for Rekor and CT). */
export function checkpointObservedEvent(
  v: LogVantage,
  head: { origin: string; size: number; rootHash: Buffer },
  note: string,
  consistentWith: number | undefined,
): CloudEvent {
  return makeEvent({
    type: CheckpointObservedEvent.type,
    source: v.source,
    subject: head.origin,
    time: v.now,
    data: {
      origin: head.origin,
      url: v.url,
      vantage: v.vantage,
      treeSize: head.size,
      rootHash: head.rootHash.toString('base64'),
      note,
      signatureVerified: true,
      ...(consistentWith !== undefined ? { consistentWith } : {}),
      observedAt: v.now.toISOString(),
    },
  });
}

/**
 * A failure as a tlog anomaly event. A retry that gave up is reported as its last cause, so the
 * kind (security vs infrastructure) is decided by what actually went wrong.
 */
export function tlogAnomalyEvent(v: LogVantage, err: unknown, kindOf: (err: unknown) => TlogAnomalyKind, evidence: Record<string, unknown> = {}): CloudEvent {
  const root = err instanceof RetryError && err.cause !== undefined ? err.cause : err;
  const { code, message } = describeError(root);
  const status = root instanceof HttpError ? root.status : undefined;
  return makeEvent({
    type: TlogAnomalyEvent.type,
    source: v.source,
    subject: v.origin,
    time: v.now,
    data: {
      origin: v.origin,
      url: v.url,
      vantage: v.vantage,
      kind: kindOf(root),
      code,
      message: message.slice(0, 2000),
      evidence: { ...evidence, ...(status !== undefined ? { status } : {}) },
      observedAt: v.now.toISOString(),
    },
  });
}
