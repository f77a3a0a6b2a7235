/**
 * Public surface of core/sqlite: the one way chainwatch opens a durable SQLite file (named
 * durability policy, `PRAGMA user_version` migrations), the key/value state table that
 * StateStores keep in such a file, and the owner-only helpers for every other data-dir file.
 *
 * Deliberately NOT re-exported from core/index.ts: it loads better-sqlite3's native addon, and
 * importing core (every folder does) must not. Layers that keep a SQLite file (bus/embedded,
 * stores/sqlite, sinks/alerts, sinks/audit) import it from here.
 */
export {
  openSqlite,
  schemaVersion,
  type OpenSqliteOptions,
  type SqliteDatabase,
  type SqliteDurability,
  type SqliteMigration,
  type SqliteStatement,
} from './open.js';
export { type DataDirLock, type LockHolder, lockDataDir } from './data-dir-lock.js';
export { ensurePrivateDir, openPrivateFile, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, touchPrivateFile } from './private-files.js';
export { importStateFile, SqliteStateTable, STATE_TABLE } from './state-table.js';
