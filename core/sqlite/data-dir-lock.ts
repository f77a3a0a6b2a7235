import { hostname } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../errors.js';
import { openSqlite, type SqliteDatabase, type SqliteMigration } from './open.js';
import { ensurePrivateDir } from './private-files.js';

/**
 * One daemon per data directory (issue 8 item 6): two would audit, journal and page everything
 * twice. The lock is SQLite's own write lock on `<data-dir>/.lock`, held by a transaction that
 * stays open for the daemon's life. Why this and not a lock-file package:
 * - it is a POSIX record lock (fcntl), so the kernel releases it when the process dies, SIGKILL
 *   and OOM kills included; a lock file left behind is just a file, never a stale lock
 *   (proper-lockfile's mkdir locks need mtime-based staleness guesses; fs-ext is a native addon
 *   to build and keep for one call);
 * - better-sqlite3 is already loaded, and SQLite arbitrates between connections of one process too;
 * - WAL readers are never blocked by the held write lock, so a second daemon can read who holds
 *   it (pid, host, since) and name it.
 * CLI commands never take this lock: they write through their own SQLite connections, whose
 * busy timeout waits for the daemon's short write transactions in the stores they touch.
 */
export interface DataDirLock {
  readonly path: string;
  /** Gives the lock up (idempotent); the daemon's last step on shutdown. */
  release(): void;
}

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

const LOCK_MIGRATIONS: readonly SqliteMigration[] = [
  {
    name: 'data-dir lock holder',
    up: 'CREATE TABLE holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL)',
  },
];

/** Takes the data directory's lock or throws StorageError STORAGE_LOCKED naming the holder. */
export function lockDataDir(dir: string): DataDirLock {
  ensurePrivateDir(dir);
  const path = join(dir, '.lock');
  const db = openSqlite(path, { durability: 'process-crash', migrations: LOCK_MIGRATIONS });
  try {
    // Fail at once instead of waiting: a holder keeps the lock for as long as it runs.
    db.pragma('busy_timeout = 0');
    if (!tryBegin(db)) throw locked(dir, readHolder(db));
    db.prepare('INSERT OR REPLACE INTO holder (id, pid, host, since) VALUES (1, ?, ?, ?)').run(process.pid, hostname(), new Date().toISOString());
    // Commit so that others can read the holder, then hold the lock again. A daemon starting in
    // this instant may win it instead; then we are the second one and stop.
    db.exec('COMMIT');
    if (!tryBegin(db)) throw locked(dir, readHolder(db));
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    path,
    release: () => {
      if (!db.open) return;
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}

function tryBegin(db: SqliteDatabase): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
    throw new StorageError('STORAGE_OPEN_FAILED', 'cannot take the data directory lock', { cause: err, retriable: true });
  }
}

function readHolder(db: SqliteDatabase): LockHolder | undefined {
  return db.prepare('SELECT pid, host, since FROM holder WHERE id = 1').get() as LockHolder | undefined;
}

function locked(dir: string, h: LockHolder | undefined): StorageError {
  const who = h ? `pid ${h.pid} on ${h.host} (since ${h.since})` : 'another process';
  return new StorageError('STORAGE_LOCKED', `data directory ${dir} is in use by ${who}: one daemon per data directory`);
}
