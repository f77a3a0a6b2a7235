import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError, StorageError } from '../errors.js';
import { openSqlite, schemaVersion, type SqliteMigration } from './index.js';

const tmp = (name = 'x.db'): string => join(mkdtempSync(join(tmpdir(), 'cw-sqlite-')), name);

/** Migrations that log each run into a table, so a second run would show as a second row. */
const logged = (n: number): SqliteMigration[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `step ${i + 1}`,
    up: (db) => {
      db.exec('CREATE TABLE IF NOT EXISTS runs (step INTEGER NOT NULL)');
      db.prepare('INSERT INTO runs (step) VALUES (?)').run(i + 1);
    },
  }));
const runs = (db: Database.Database): number[] => db.prepare('SELECT step FROM runs ORDER BY rowid').pluck().all() as number[];

describe('openSqlite', () => {
  it('creates the file and its directory in WAL mode with the synchronous level of the named durability', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-sqlite-')), 'a', 'b', 'x.db');
    const crash = openSqlite(path, { durability: 'process-crash', migrations: [] });
    expect(crash.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(crash.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    crash.close();
    const power = openSqlite(path, { durability: 'power-loss', migrations: [], walAutocheckpoint: 1234 });
    expect(power.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(power.pragma('wal_autocheckpoint', { simple: true })).toBe(1234);
    expect(power.pragma('busy_timeout', { simple: true })).toBe(5000);
    power.close();
  });

  it('applies each migration once, in order, bumping user_version with it; later opens apply only new ones', () => {
    const path = tmp();
    const a = openSqlite(path, { durability: 'process-crash', migrations: logged(2) });
    expect(schemaVersion(a)).toBe(2);
    expect(runs(a)).toEqual([1, 2]);
    a.close();
    const b = openSqlite(path, { durability: 'process-crash', migrations: logged(2) });
    expect(runs(b)).toEqual([1, 2]);
    b.close();
    const c = openSqlite(path, { durability: 'process-crash', migrations: logged(3) });
    expect(schemaVersion(c)).toBe(3);
    expect(runs(c)).toEqual([1, 2, 3]);
    c.close();
  });

  it('adopts a file written before versions were tracked (user_version 0, CREATE IF NOT EXISTS) without loss', () => {
    const path = tmp();
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    old.prepare('INSERT INTO kv VALUES (?, ?)').run('a', '1');
    old.close();
    const db = openSqlite(path, {
      durability: 'process-crash',
      migrations: [
        { name: 'kv', up: 'CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)' },
        { name: 'kv.at', up: 'ALTER TABLE kv ADD COLUMN at INTEGER' },
      ],
    });
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT k, v, at FROM kv').all()).toEqual([{ k: 'a', v: '1', at: null }]);
    db.close();
  });

  it('rolls a failed migration back whole (no partial DDL, version unchanged) and reports it retriable', () => {
    const path = tmp();
    openSqlite(path, { durability: 'process-crash', migrations: logged(1) }).close();
    const broken: SqliteMigration = { name: 'half', up: 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);' };
    let err: unknown;
    try {
      openSqlite(path, { durability: 'process-crash', migrations: [...logged(1), broken] });
      expect.unreachable('the broken migration must fail');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('STORAGE_MIGRATION_FAILED');
    expect((err as StorageError).retriable).toBe(true);
    const db = new Database(path);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    db.close();
  });

  it('passes a refusal a migration raises (a ChainwatchError) through unchanged', () => {
    const refusal = new ConfigError('CONFIG_INVALID', 'not this file');
    const refuse: SqliteMigration = {
      name: 'refuse',
      up: () => {
        throw refusal;
      },
    };
    expect(() => openSqlite(tmp(), { durability: 'process-crash', migrations: [refuse] })).toThrow(refusal);
  });

  it('refuses a file written by a newer release (permanent, not retriable), read-write and read-only', () => {
    const path = tmp();
    openSqlite(path, { durability: 'process-crash', migrations: logged(3) }).close();
    for (const readonly of [false, true]) {
      try {
        openSqlite(path, { durability: 'process-crash', migrations: logged(2), readonly });
        expect.unreachable('a newer file must be refused');
      } catch (err) {
        expect(err).toBeInstanceOf(StorageError);
        expect((err as StorageError).code).toBe('STORAGE_VERSION_TOO_NEW');
        expect((err as StorageError).retriable).toBe(false);
      }
    }
    const db = new Database(path);
    expect(runs(db)).toEqual([1, 2, 3]);
    db.close();
  });

  it('read-only: reads a current file, never migrates an older one, never creates a missing one', () => {
    const path = tmp();
    openSqlite(path, { durability: 'process-crash', migrations: logged(1) }).close();
    const ro = openSqlite(path, { durability: 'process-crash', migrations: logged(1), readonly: true });
    expect(runs(ro)).toEqual([1]);
    expect(() => ro.exec('DELETE FROM runs')).toThrow();
    ro.close();
    expect(() => openSqlite(path, { durability: 'process-crash', migrations: logged(2), readonly: true })).toThrow(
      expect.objectContaining({ code: 'STORAGE_VERSION_TOO_OLD' }),
    );
    const missing = tmp('missing.db');
    expect(() => openSqlite(missing, { durability: 'process-crash', migrations: [], readonly: true })).toThrow(
      expect.objectContaining({ code: 'STORAGE_OPEN_FAILED' }),
    );
    expect(existsSync(missing)).toBe(false);
  });

  it('reports a path it cannot create as STORAGE_OPEN_FAILED', () => {
    const file = tmp('plain-file');
    writeFileSync(file, 'not a directory');
    let err: unknown;
    try {
      openSqlite(join(file, 'x.db'), { durability: 'process-crash', migrations: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('STORAGE_OPEN_FAILED');
  });

  it('applies each migration exactly once when several processes open a new file at the same moment (retrying as the supervisor does)', async () => {
    const path = tmp();
    const script = join(mkdtempSync(join(tmpdir(), 'cw-sqlite-proc-')), 'open.ts');
    // Each migration holds the write lock a while, so the processes really do overlap.
    writeFileSync(
      script,
      `import { openSqlite } from ${JSON.stringify(join(import.meta.dirname, 'index.ts'))};
const start = Number(process.argv[3]);
while (Date.now() < start) {}
const step = (i) => ({ name: 'step ' + i, up: (db) => {
  db.exec('CREATE TABLE IF NOT EXISTS runs (step INTEGER NOT NULL)');
  db.prepare('INSERT INTO runs (step) VALUES (?)').run(i);
  const until = Date.now() + 50; while (Date.now() < until) {}
} });
// Racing to create the file, an opener may get a retriable error (see openSqlite): retry it.
for (let attempt = 1; ; attempt++) {
  try {
    openSqlite(process.argv[2], { durability: 'process-crash', migrations: [step(1), step(2), step(3)] }).close();
    break;
  } catch (err) {
    if (!err.retriable || attempt === 20) throw err;
    const until = Date.now() + 20; while (Date.now() < until) {}
  }
}
`,
    );
    const start = Date.now() + 1_500;
    const codes = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<number | null>((resolve, reject) => {
            const p = spawn(process.execPath, ['--import', 'tsx', script, path, String(start)], { stdio: ['ignore', 'ignore', 'inherit'] });
            p.on('error', reject);
            p.on('exit', resolve);
          }),
      ),
    );
    expect(codes).toEqual([0, 0, 0, 0]);
    const db = new Database(path);
    expect(runs(db)).toEqual([1, 2, 3]);
    expect(schemaVersion(db)).toBe(3);
    db.close();
  });
});
