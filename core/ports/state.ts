/**
 * Durable key/value state for cursors, checkpoints and small bookkeeping. A put() resolves only
 * once the value is durable. Implementations: stores/sqlite (default) and an in-memory twin.
 * Keys are namespaced by the caller, e.g. "rekor:<origin>:cursor".
 */
export interface StateStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T = unknown>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with prefix, sorted. */
  list(prefix: string): Promise<string[]>;
}
