import { STATE_TABLE, type SqliteDurability, type SqliteMigration } from '../../core/sqlite/index.js';

/**
 * On-disk layout of the embedded bus: an append-only log per (topic, partition) with dense
 * offsets, the next offset per partition, committed offsets per consumer group, and the
 * daemon's key/value state (collector cursors; see EmbeddedBus.stateStore).
 * WAL mode lets the daemon consume while `chainwatch events publish` appends from another process.
 * `records` is a rowid table on purpose: its rows (~1 KiB events) are large, and a WITHOUT ROWID
 * table stores them in the primary-key b-tree, which measured several times slower to append to.
 */
const LOG_TABLES = `
CREATE TABLE IF NOT EXISTS partitions (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  key TEXT NOT NULL, headers TEXT, value BLOB NOT NULL, ts INTEGER NOT NULL,
  PRIMARY KEY (topic, partition, offset));
CREATE TABLE IF NOT EXISTS offsets (
  grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, committed INTEGER NOT NULL,
  PRIMARY KEY (grp, topic, partition)) WITHOUT ROWID;
`;

/** bus.db's schema history (core/sqlite migrations): append, never edit. */
export const BUS_MIGRATIONS: readonly SqliteMigration[] = [
  // Version 1 is the DDL bus.db files were created with before versions were tracked.
  { name: 'bus log tables', up: LOG_TABLES },
  // Cursors live beside the records they cover (EmbeddedBus.stateStore, docs/bus-embedded.md).
  STATE_TABLE,
];

/**
 * `fsync: false` (default) survives a process crash (SIGKILL), `fsync: true` power loss too.
 * Either way the WAL keeps commits in order, which the state kept in this file relies on.
 */
export function busDurability(fsync: boolean): SqliteDurability {
  return fsync ? 'power-loss' : 'process-crash';
}

/** Large enough that a burst of publishes does not checkpoint every few batches. */
export const BUS_WAL_AUTOCHECKPOINT = 4000;

/** FNV-1a over the key: stable across processes and versions, so a key always maps to one partition. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
