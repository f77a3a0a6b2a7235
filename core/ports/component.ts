import type { Bus } from './bus.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { KeyProvider } from './signer.js';
import type { StateStore } from './state.js';
import type { StorageMonitor } from './storage.js';

/**
 * Every long-lived piece (collector, detector, sink, bus) has start(), an idempotent stop() and
 * flush(). The daemon's supervisor restarts a component whose start() rejects or that reports a
 * crash through ctx.fail(), with backoff, while the rest of the process keeps running.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  flush(): Promise<void>;
  /** Not ready components make /readyz fail; absent means ready once started. */
  health?(): { ready: boolean; detail?: string };
}

export interface ComponentContext {
  bus: Bus;
  state: StateStore;
  logger: Logger;
  metrics: Metrics;
  /** Directory for the component's own durable files (outboxes, stores). */
  dataDir: string;
  /** Opens the signing keys named in the component's config (files, PKCS#11 tokens: docs/keys.md). */
  keys: KeyProvider;
  /** Report a fatal error from background work; the supervisor stops and restarts the component. */
  fail(err: unknown): void;
  now(): Date;
  /**
   * Where the component's durable stores report writes that fail because of the storage (a full
   * disk): the daemon's monitor (readiness, log, metric, storage.full finding). Absent in tests.
   */
  storage?: StorageMonitor;
}
