import Database from 'better-sqlite3';
import { ChainwatchError, StorageError } from '../errors.js';
import { touchPrivateFile } from './private-files.js';

export type SqliteDatabase = Database.Database;
export type SqliteStatement = Database.Statement;

/**
 * What a committed transaction must survive, stated by every caller:
 * - 'process-crash': WAL + synchronous=NORMAL. A commit survives SIGKILL and OOM kills; on power
 *   loss the newest commits may be lost, but WAL recovery keeps a prefix of them (never a later
 *   commit without an earlier one, in this database).
 * - 'power-loss': WAL + synchronous=FULL. The WAL is fsynced at every commit: once a write
 *   returned, it survives power loss too.
 */
export type SqliteDurability = 'process-crash' | 'power-loss';

/**
 * One step of a file's schema. Migration i (0-based) takes `PRAGMA user_version` from i to i+1,
 * in one transaction with the version bump, so it is applied exactly once even when two processes
 * open the file at the same time. Never edit or reorder a released migration: append a new one.
 * A migration may refuse a file by throwing a ChainwatchError, which reaches the caller as is.
 */
export interface SqliteMigration {
  /** What it does, for errors ("bus log tables", "state key/value table"). */
  readonly name: string;
  /** SQL (several statements allowed) or a function, run inside the migration's transaction. */
  readonly up: string | ((db: SqliteDatabase) => void);
}

export interface OpenSqliteOptions {
  durability: SqliteDurability;
  /** The file's schema history, oldest first (see SqliteMigration). */
  migrations: readonly SqliteMigration[];
  /** Open without writing: no journal-mode change, no migration; the file must be current. */
  readonly?: boolean;
  /** WAL pages before an automatic checkpoint (SQLite's default: 1000). */
  walAutocheckpoint?: number;
}

/** How long a connection waits for another one's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed, with its directory, owner-only: private-files.ts) a chainwatch SQLite file in WAL mode with the
 * stated durability, and brings its schema to `migrations.length`. `:memory:` opens a private
 * in-memory database (benches and unit tests). Throws StorageError.
 *
 * Files written before chainwatch tracked versions have user_version 0 and tables created with
 * CREATE ... IF NOT EXISTS: their first migration is that same DDL, so it adopts them unchanged.
 */
export function openSqlite(path: string, opts: OpenSqliteOptions): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    // Owner-only from the first byte: the directory 0700, the file (and so its -wal/-shm) 0600.
    if (path !== ':memory:' && !opts.readonly) touchPrivateFile(path);
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false, timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new StorageError('STORAGE_OPEN_FAILED', `cannot open SQLite file ${path}`, { cause: err, retriable: true });
  }
  try {
    // Only switch when needed: the switch takes an exclusive lock, and when two connections race
    // for it SQLite answers SQLITE_BUSY at once instead of waiting (deadlock avoidance). That
    // surfaces as a retriable STORAGE_OPEN_FAILED, and only when processes create a file together.
    if (!opts.readonly && db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronousFor(opts.durability)}`);
    if (opts.walAutocheckpoint !== undefined) db.pragma(`wal_autocheckpoint = ${Math.trunc(opts.walAutocheckpoint)}`);
    if (opts.readonly) requireCurrent(db, path, opts.migrations.length);
    else migrate(db, path, opts.migrations);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof ChainwatchError) throw err;
    throw new StorageError('STORAGE_OPEN_FAILED', `cannot open SQLite file ${path}`, { cause: err, retriable: true });
  }
}

function synchronousFor(d: SqliteDurability): 'NORMAL' | 'FULL' {
  switch (d) {
    case 'process-crash':
      return 'NORMAL';
    case 'power-loss':
      return 'FULL';
  }
}

/** The schema version stored in the file header. */
export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function tooNew(path: string, version: number, known: number): StorageError {
  return new StorageError(
    'STORAGE_VERSION_TOO_NEW',
    `SQLite file ${path} has schema version ${version}, newer than this chainwatch knows (${known}); it was written by a newer release`,
  );
}

function requireCurrent(db: SqliteDatabase, path: string, latest: number): void {
  const v = schemaVersion(db);
  if (v > latest) throw tooNew(path, v, latest);
  if (v < latest)
    throw new StorageError('STORAGE_VERSION_TOO_OLD', `SQLite file ${path} has schema version ${v} (current: ${latest}); open it read-write once to migrate`);
}

function migrate(db: SqliteDatabase, path: string, migrations: readonly SqliteMigration[]): void {
  const latest = migrations.length;
  // The common case (already current) takes no write lock, so readers never queue behind writers.
  const seen = schemaVersion(db);
  if (seen > latest) throw tooNew(path, seen, latest);
  if (seen === latest) return;
  const step = db.transaction((): boolean => {
    // Re-read under the write lock: another process may have migrated since.
    const v = schemaVersion(db);
    if (v > latest) throw tooNew(path, v, latest);
    if (v === latest) return false;
    const m = migrations[v]!;
    try {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
    } catch (err) {
      if (err instanceof ChainwatchError) throw err;
      throw new StorageError('STORAGE_MIGRATION_FAILED', `migration ${v + 1} (${m.name}) of ${path} failed`, { cause: err, retriable: true });
    }
    db.pragma(`user_version = ${v + 1}`);
    return true;
  });
  while (step.immediate()) {
    // one migration per transaction, until current
  }
}
