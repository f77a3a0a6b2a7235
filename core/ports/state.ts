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

export class MemoryStateStore implements StateStore {
  private readonly map = new Map<string, string>();
  async get<T>(key: string): Promise<T | undefined> {
    const v = this.map.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async put<T>(key: string, value: T): Promise<void> {
    this.map.set(key, JSON.stringify(value));
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
