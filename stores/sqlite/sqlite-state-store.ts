import type { StateStore } from '../../core/index.js';
import { openSqlite, type SqliteDatabase, type SqliteMigration } from '../../core/sqlite/index.js';

/** state.db's schema history (core/sqlite migrations): append, never edit. */
const STATE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    name: 'state key/value table',
    up: 'CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID',
  },
];

/**
 * Durable key/value state (cursors, checkpoints) in one SQLite file. put() returns after the
 * write committed (WAL, synchronous=NORMAL: survives a process crash), which is what cursor
 * invariants rely on: a verified position is persisted only once what it covers is durable.
 */
export class SqliteStateStore implements StateStore {
  private readonly db: SqliteDatabase;
  private readonly sGet;
  private readonly sPut;
  private readonly sDel;
  private readonly sList;

  constructor(path: string) {
    // process-crash (synchronous=NORMAL), what this store has always promised (see the class comment).
    this.db = openSqlite(path, { durability: 'process-crash', migrations: STATE_MIGRATIONS });
    this.sGet = this.db.prepare('SELECT value FROM state WHERE key = ?').pluck();
    this.sPut = this.db.prepare(
      'INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
    this.sDel = this.db.prepare('DELETE FROM state WHERE key = ?');
    this.sList = this.db.prepare('SELECT key FROM state WHERE key >= ? AND key < ? || char(1114111) ORDER BY key').pluck();
  }

  async get<T>(key: string): Promise<T | undefined> {
    const v = this.sGet.get(key) as string | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async put<T>(key: string, value: T): Promise<void> {
    this.sPut.run(key, JSON.stringify(value), Date.now());
  }
  async delete(key: string): Promise<void> {
    this.sDel.run(key);
  }
  async list(prefix: string): Promise<string[]> {
    return this.sList.all(prefix, prefix) as string[];
  }
  isOpen(): boolean {
    return this.db.open;
  }
  close(): void {
    if (this.db.open) this.db.close();
  }
}
