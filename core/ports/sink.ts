import type { z } from 'zod';
import type { Finding } from '../events/types/finding.js';

/**
 * Alert and ticket sinks. The pipeline in sinks/alerts (routing, dedup, aggregation, throttling,
 * durable outbox, retries, dead letters) decides WHAT to send and WHEN; a sink adapter only speaks
 * its system's wire protocol. Adapters throw HttpError (or another ChainwatchError) whose
 * `retriable`/`retryAfterMs` the pipeline's retry decorator reads; they never retry themselves.
 */
export type NotificationAction = 'trigger' | 'update' | 'resolve';

export interface Notification {
  /** Stable per (route, sink, dedupKey, action, window): lets receivers and the outbox dedup. */
  id: string;
  action: NotificationAction;
  route: string;
  dedupKey: string;
  finding: Finding;
  /** Occurrences aggregated into this notification and since when. */
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
  /** Link to the audit record of the finding (compliance trail), when an audit URL base is configured. */
  auditUrl?: string;
  /** What the sink returned last time for this dedupKey (ticket key/number, PagerDuty dedup_key...). */
  externalRef?: string;
}

export interface DeliveryResult {
  /** Identifier in the external system to remember for later updates/resolution. */
  externalRef?: string;
}

export interface AlertSink {
  /** Instance name from config, e.g. "soc-slack". */
  readonly name: string;
  /** Adapter kind, e.g. "slack", "pagerduty", "jira". */
  readonly kind: string;
  deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult>;
  close?(): Promise<void>;
}

/**
 * A receiver kind (sinks/<system>/): its config schema and how to build one from a parsed config.
 * The alert pipeline's `receivers` list is a union of these schemas keyed by `kind` (each entry
 * also carries its `name`). The daemon hands the list of receiver kinds to the alert pipeline's
 * module (daemon/registry.ts), so adding a receiver kind is its folder plus one import and one list entry there.
 */
export interface ReceiverModule<S extends z.ZodObject = z.ZodObject> {
  readonly kind: string;
  readonly schema: S;
  create(config: z.output<S>): AlertSink;
}

export function defineReceiver<S extends z.ZodObject>(r: ReceiverModule<S>): ReceiverModule<S> {
  return r;
}
