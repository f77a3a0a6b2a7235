import { existsSync, renameSync } from 'node:fs';
import { ChainwatchError, StorageError } from '../errors.js';
import type { ClosableStateStore } from '../ports/state.js';
import type { StorageMonitor } from '../ports/storage.js';
import { watchWrite } from '../storage.js';
import { openSqlite, type SqliteDatabase, type SqliteMigration } from './open.js';

/**
 * The `state` key/value table, in whichever database keeps a StateStore: its own state.db
 * (stores/sqlite) or the embedded bus's bus.db, where cursors share one WAL with the records
 * they cover. Values are JSON text.
 */
export const STATE_TABLE: SqliteMigration = {
  name: 'state key/value table',
  up: 'CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID',
};

/**
 * A StateStore over the `state` table of an open connection, which it owns (close() closes it).
 * put() resolves after its transaction committed, with the durability the connection was opened
 * with.
 */
export class SqliteStateTable implements ClosableStateStore {
  private readonly sGet;
  private readonly sPut;
  private readonly sDel;
  private readonly sList;

  /** `watch`: where put()/delete() report a full disk (the caller, e.g. a collector, retries). */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly watch?: { monitor: StorageMonitor; store: string; path: string },
  ) {
    this.sGet = db.prepare('SELECT value FROM state WHERE key = ?').pluck();
    this.sPut = db.prepare(
      'INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
    this.sDel = db.prepare('DELETE FROM state WHERE key = ?');
    this.sList = db.prepare('SELECT key FROM state WHERE key >= ? AND key < ? || char(1114111) ORDER BY key').pluck();
  }

  async get<T>(key: string): Promise<T | undefined> {
    const v = this.sGet.get(key) as string | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async put<T>(key: string, value: T): Promise<void> {
    this.write(() => this.sPut.run(key, JSON.stringify(value), Date.now()));
  }
  async delete(key: string): Promise<void> {
    this.write(() => this.sDel.run(key));
  }
  private write(fn: () => unknown): void {
    if (this.watch) watchWrite(this.watch.monitor, this.watch.store, this.watch.path, fn);
    else fn();
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

/**
 * Takes over a standalone state file (stores/sqlite's state.db) into `db`'s state table: every
 * row in one transaction, then the file is renamed `<file>.migrated` (with its -wal/-shm, if
 * any). Returns how many rows it copied, or undefined when there is no such file. Throws
 * StorageError (retriable: nothing was renamed unless the copy committed).
 *
 * Safe to repeat after a crash at any point: rows already in `db` win (INSERT OR IGNORE), and
 * they are never older than the file's, which nothing writes once the copy committed. The copy
 * commits with synchronous=FULL whatever the connection's level, so the rename can never reach
 * the disk before the rows it makes the only copy of.
 */
export function importStateFile(db: SqliteDatabase, file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return copyThenRename(db, file);
  } catch (err) {
    if (err instanceof ChainwatchError) throw err;
    throw new StorageError('STORAGE_IMPORT_FAILED', `cannot import state file ${file}`, { cause: err, retriable: true });
  }
}

function copyThenRename(db: SqliteDatabase, file: string): number {
  // Read-write: opening replays the file's WAL if its last writer crashed; closing checkpoints it.
  // process-crash: this connection only reads the file (and closes it); the copy below is synced.
  const legacy = openSqlite(file, { durability: 'process-crash', migrations: [STATE_TABLE] });
  let rows: { key: string; value: string; updated_at: number }[];
  try {
    rows = legacy.prepare('SELECT key, value, updated_at FROM state ORDER BY key').all() as typeof rows;
  } finally {
    legacy.close();
  }
  const insert = db.prepare('INSERT OR IGNORE INTO state (key, value, updated_at) VALUES (?, ?, ?)');
  const level = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = FULL');
  try {
    db.transaction(() => {
      for (const r of rows) insert.run(r.key, r.value, r.updated_at);
    }).immediate();
  } finally {
    db.pragma(`synchronous = ${level}`);
  }
  renameSync(file, `${file}.migrated`);
  for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, `${file}.migrated${suffix}`);
  return rows.length;
}
