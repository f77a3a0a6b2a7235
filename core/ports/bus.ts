import type { z } from 'zod';
import type { CloudEvent } from '../events/envelope.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RetryPolicy } from '../retry.js';
import type { ClosableStateStore } from './state.js';
import type { StorageMonitor } from './storage.js';

/**
 * The Bus port. Adapters: bus/embedded (SQLite, default) and bus/kafka (@platformatic/kafka).
 * Both pass the same contract suite (test/bus/contract.ts).
 *
 * Guarantees every adapter gives:
 * - publish() resolves only once the events are durable (SQLite committed / Kafka acks=all);
 *   a rejected publish may still have stored some events (callers re-publish: at-least-once).
 * - Events with the same key (default: subject, else id) keep their order within a topic.
 * - A consumer group sees each event at least once; its offset is committed only after the
 *   handler's promise resolved (its effects are durable), or after the event was dead-lettered.
 * - An event that fails validation, or whose handler fails after the retry policy, goes to
 *   `<topic>.dlq` with the reason in headers (x-chainwatch-dlq-*), is counted, and consumption goes on.
 */
export interface BusRecord {
  topic: string;
  partition: number;
  /** Adapter-specific position, as a decimal string. */
  offset: string;
  key: string;
  headers: Record<string, string>;
  /** Validated event. */
  event: CloudEvent;
}

export interface RawBusRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  value: Buffer;
  /** When the record was appended (ms since epoch), for lag metrics. */
  timestampMs: number;
}

export type Handler = (record: BusRecord, signal: AbortSignal) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: members share the partitions; each group has its own committed offsets. */
  group: string;
  topics: string[];
  handler: Handler;
  /** Retries of a throwing handler before the event is dead-lettered. */
  retry?: Partial<RetryPolicy>;
  /** Start position for a group with no committed offset. */
  fromBeginning?: boolean;
  /** Receive raw records that fail validation instead of dead-lettering them (used by `events tail`). */
  raw?: boolean;
  /** A throw-away reader (e.g. `events tail`): offsets are not persisted and it joins no shared group. */
  ephemeral?: boolean;
}

export interface PublishOptions {
  key?: string;
  headers?: Record<string, string>;
}

export interface Subscription {
  readonly group: string;
  pause(): void;
  resume(): void;
  /** Stops fetching, waits for in-flight handlers, commits, leaves the group. Idempotent. */
  stop(): Promise<void>;
}

export interface BusHealth {
  ready: boolean;
  detail: string;
}

export interface Bus {
  readonly kind: 'embedded' | 'kafka';
  start(): Promise<void>;
  /** Stops all subscriptions (draining in-flight work), flushes, closes. Idempotent. */
  stop(): Promise<void>;
  flush(): Promise<void>;
  /** Validates and durably appends events. Topic defaults to the family topic of each event's type. */
  publish(events: CloudEvent | CloudEvent[], opts?: PublishOptions & { topic?: string }): Promise<void>;
  /** Appends already-encoded bytes without validation (dead-letter, replay tools). */
  publishRaw(topic: string, records: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  health(): BusHealth;
  /** Per topic/partition: end offset minus committed offset for a group. */
  lag(group: string): Promise<{ topic: string; partition: number; lag: number }[]>;
  /**
   * A StateStore kept in the bus's own storage, offered by adapters that can order its writes
   * after their publishes across power loss (embedded: the same SQLite database, one WAL), so a
   * cursor put after publish() resolved is never durable without the records it covers.
   * `importFrom`: a standalone state file (stores/sqlite) whose rows are taken over on first
   * open; the file is then renamed `<file>.migrated`. Usable before start(); close it after stop().
   */
  stateStore?(opts?: { importFrom?: string }): ClosableStateStore;
}

/** Header names used on dead-lettered records. */
export const DLQ_HEADERS = {
  reason: 'x-chainwatch-dlq-reason',
  code: 'x-chainwatch-dlq-code',
  originalTopic: 'x-chainwatch-dlq-topic',
  originalPartition: 'x-chainwatch-dlq-partition',
  originalOffset: 'x-chainwatch-dlq-offset',
  attempts: 'x-chainwatch-dlq-attempts',
  group: 'x-chainwatch-dlq-group',
  at: 'x-chainwatch-dlq-at',
} as const;

export type BusKind = Bus['kind'];

/**
 * A bus adapter as the daemon sees it (bus/<kind>/module.ts): its `bus.<kind>` config section
 * and a factory. `create` loads the adapter's client library only when called, so the embedded
 * default never loads a Kafka client.
 */
export interface BusModule<S extends z.ZodType = z.ZodType> {
  readonly kind: BusKind;
  /** The `bus.<kind>` section, with a default when this kind needs no settings. */
  readonly schema: S;
  /**
   * `retainFor`: consumer groups whose uncommitted records retention must not delete (the audit
   * sink's: nothing is deleted unaudited). The embedded bus honours it; Kafka's retention is the
   * broker's (retention.ms on the topics) and cannot wait for a group (docs/bus-kafka.md).
   */
  create(
    config: z.output<S>,
    deps: { dataDir: string; instance: string; logger: Logger; metrics: Metrics; retainFor?: readonly string[]; storage?: StorageMonitor },
  ): Promise<Bus>;
}

export function defineBusModule<S extends z.ZodType>(m: BusModule<S>): BusModule<S> {
  return m;
}
