import type Database from 'better-sqlite3';

/**
 * On-disk layout of the embedded bus: an append-only log per (topic, partition) with dense
 * offsets, the next offset per partition, and committed offsets per consumer group.
 * WAL mode lets the daemon consume while `chainwatch events publish` appends from another process.
 * `records` is a rowid table on purpose: its rows (~1 KiB events) are large, and a WITHOUT ROWID
 * table stores them in the primary-key b-tree, which measured several times slower to append to.
 */
export const SCHEMA = `
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

export function applyPragmas(db: Database.Database, fsync: boolean): void {
  db.pragma('journal_mode = WAL');
  // NORMAL survives a process crash (SIGKILL) in WAL mode; FULL also survives power loss.
  db.pragma(`synchronous = ${fsync ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_autocheckpoint = 4000');
}

/** FNV-1a over the key: stable across processes and versions, so a key always maps to one partition. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
