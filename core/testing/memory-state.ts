import type { ClosableStateStore } from '../index.js';

/** In-memory StateStore twin: JSON round-trips values like the SQLite store does. */
export class MemoryStateStore implements ClosableStateStore {
  private readonly map = new Map<string, string>();
  isOpen(): boolean {
    return true;
  }
  /** Closing keeps the values: a command that closes it leaves them for the test to read. */
  close(): void {}
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
