import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../errors.js';
import { capPages, RecordingStorageMonitor } from '../testing/index.js';
import { importStateFile, openSqlite, SqliteStateTable, STATE_TABLE } from './index.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'cw-state-table-'));
const open = (path: string): SqliteStateTable => new SqliteStateTable(openSqlite(path, { durability: 'process-crash', migrations: [STATE_TABLE] }));

/** A state.db as stores/sqlite wrote it before schema versions: same DDL, user_version 0. */
function oldStateFile(path: string, rows: Record<string, unknown>, opts: { keepWal?: boolean } = {}): Database.Database | undefined {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID');
  for (const [k, v] of Object.entries(rows)) db.prepare('INSERT INTO state VALUES (?, ?, ?)').run(k, JSON.stringify(v), 1);
  if (opts.keepWal) return db; // left open: the rows are only in state.db-wal, as after a crash
  db.close();
  return undefined;
}

describe('SqliteStateTable', () => {
  it('on a full disk: put() rejects with nothing written and tells the storage monitor; the next put after space returns clears it', async () => {
    const db = openSqlite(':memory:', { durability: 'process-crash', migrations: [STATE_TABLE] });
    const monitor = new RecordingStorageMonitor();
    const s = new SqliteStateTable(db, { monitor, store: 'state', path: '/data/bus.db' });
    await s.put('cursor', 1);
    const cap = capPages(db);
    await expect(s.put('cursor', { big: 'x'.repeat(64 * 1024) })).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(await s.get('cursor')).toBe(1);
    cap.uncap();
    await s.put('cursor', 2);
    expect(monitor.events).toEqual(['ok state', 'failing state SQLITE_FULL', 'ok state']);
    s.close();
  });

  it('persists JSON values across reopen, lists by prefix in order, deletes', async () => {
    const path = join(dir(), 's.db');
    const a = open(path);
    await a.put('rekor:b', { verified: 2 });
    await a.put('rekor:a', [1, 'x']);
    await a.put('other', 1);
    a.close();
    expect(a.isOpen()).toBe(false);
    const b = open(path);
    expect(await b.get('rekor:a')).toEqual([1, 'x']);
    expect(await b.list('rekor:')).toEqual(['rekor:a', 'rekor:b']);
    await b.delete('rekor:a');
    expect(await b.get('rekor:a')).toBeUndefined();
    b.close();
  });
});

describe('importStateFile', () => {
  it('copies every row, then renames the file *.migrated; nothing to do without a file', async () => {
    const d = dir();
    const legacy = join(d, 'state.db');
    oldStateFile(legacy, { 'rekor:x:cursor': { verified: 10 }, 'rekor:y:cursor': { verified: 3 } });
    const db = openSqlite(join(d, 'bus.db'), { durability: 'process-crash', migrations: [STATE_TABLE] });
    expect(importStateFile(db, legacy)).toBe(2);
    const t = new SqliteStateTable(db);
    expect(await t.get('rekor:x:cursor')).toEqual({ verified: 10 });
    expect(await t.list('rekor:')).toEqual(['rekor:x:cursor', 'rekor:y:cursor']);
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(`${legacy}.migrated`)).toBe(true);
    expect(importStateFile(db, legacy)).toBeUndefined(); // second start: already moved
    t.close();
  });

  it('takes rows a crashed writer left only in the WAL, and moves the WAL along with the file', async () => {
    const d = dir();
    const legacy = join(d, 'state.db');
    const crashed = oldStateFile(legacy, { 'rekor:x:cursor': { verified: 42 } }, { keepWal: true })!;
    // Simulate the crash: copy the files as they are (WAL not checkpointed) to a fresh place.
    const copy = join(dir(), 'state.db');
    copyFileSync(legacy, copy);
    copyFileSync(`${legacy}-wal`, `${copy}-wal`);
    crashed.close();
    expect(readFileSync(`${copy}-wal`).length).toBeGreaterThan(32);
    const db = openSqlite(join(d, 'bus.db'), { durability: 'process-crash', migrations: [STATE_TABLE] });
    expect(importStateFile(db, copy)).toBe(1);
    const t = new SqliteStateTable(db);
    expect(await t.get('rekor:x:cursor')).toEqual({ verified: 42 });
    expect(existsSync(`${copy}-wal`)).toBe(false);
    t.close();
  });

  it('repeated after a crash before the rename, keeps rows the target already has (they are never older)', async () => {
    const d = dir();
    const legacy = join(d, 'state.db');
    oldStateFile(legacy, { 'rekor:x:cursor': { verified: 10 }, 'rekor:z:cursor': { verified: 1 } });
    const db = openSqlite(join(d, 'bus.db'), { durability: 'process-crash', migrations: [STATE_TABLE] });
    const t = new SqliteStateTable(db);
    await t.put('rekor:x:cursor', { verified: 99 });
    expect(importStateFile(db, legacy)).toBe(2);
    expect(await t.get('rekor:x:cursor')).toEqual({ verified: 99 });
    expect(await t.get('rekor:z:cursor')).toEqual({ verified: 1 });
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // the connection's own level is back
    t.close();
  });

  it('reports a file it cannot read as a StorageError and leaves it in place', () => {
    const d = dir();
    const legacy = join(d, 'state.db');
    writeFileSync(legacy, Buffer.alloc(8192, 7)); // not a SQLite file
    const db = openSqlite(join(d, 'bus.db'), { durability: 'process-crash', migrations: [STATE_TABLE] });
    let err: unknown;
    try {
      importStateFile(db, legacy);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('STORAGE_OPEN_FAILED');
    expect(existsSync(legacy)).toBe(true);
    db.close();
  });
});
