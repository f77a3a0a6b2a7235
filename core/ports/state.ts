/**
 * Durable key/value state for cursors, checkpoints and small bookkeeping. A put() resolves only
 * once the value is durable. Implementations: the embedded bus's own database (default; see
 * Bus.stateStore), stores/sqlite (beside other buses) and an in-memory twin.
 * Keys are namespaced by the caller, e.g. "rekor:<origin>:cursor".
 */
export interface StateStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T = unknown>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with prefix, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** A StateStore whose lifetime the composition root owns: it reports it in readiness and closes it last. */
export interface ClosableStateStore extends StateStore {
  isOpen(): boolean;
  close(): void;
}
