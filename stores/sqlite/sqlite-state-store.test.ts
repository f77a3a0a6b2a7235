import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ClosableStateStore } from '../../core/index.js';
import { MemoryBus, MemoryStateStore } from '../../core/testing/index.js';
import { SqliteStateStore, stateStoreFor } from './index.js';

describe('SqliteStateStore', () => {
  it('persists values across reopen, lists by prefix, deletes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-state-')), 'state.db');
    const a = new SqliteStateStore(path);
    await a.put('rekor:x:cursor', { verified: 10, fetched: 12 });
    await a.put('rekor:y:cursor', { verified: 1 });
    await a.put('other', 1);
    a.close();
    const b = new SqliteStateStore(path);
    expect(await b.get('rekor:x:cursor')).toEqual({ verified: 10, fetched: 12 });
    expect(await b.list('rekor:')).toEqual(['rekor:x:cursor', 'rekor:y:cursor']);
    await b.delete('rekor:y:cursor');
    expect(await b.get('rekor:y:cursor')).toBeUndefined();
    expect(await b.list('rekor:')).toEqual(['rekor:x:cursor']);
    b.close();
  });

  it('opens a state.db written before schema versions (user_version 0) without loss', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-state-old-')), 'state.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.pragma('synchronous = NORMAL');
    old.exec('CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID');
    old.prepare('INSERT INTO state VALUES (?, ?, ?)').run('rekor:x:cursor', JSON.stringify({ verified: 7, fetched: 9 }), 1);
    old.close();
    const s = new SqliteStateStore(path);
    expect(await s.get('rekor:x:cursor')).toEqual({ verified: 7, fetched: 9 });
    await s.put('rekor:x:cursor', { verified: 8, fetched: 9 });
    s.close();
    const check = new Database(path);
    expect(check.pragma('user_version', { simple: true })).toBe(1);
    check.close();
  });
});

describe('stateStoreFor', () => {
  it('takes the state store a bus offers, with <dataDir>/state.db to import', async () => {
    const offered = new MemoryStateStore() as unknown as ClosableStateStore;
    const calls: unknown[] = [];
    const bus = Object.assign(new MemoryBus(), {
      stateStore: (opts?: { importFrom?: string }) => {
        calls.push(opts);
        return offered;
      },
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-state-for-'));
    expect(stateStoreFor(bus, dataDir)).toBe(offered);
    expect(calls).toEqual([{ importFrom: join(dataDir, 'state.db') }]);
    expect(existsSync(join(dataDir, 'state.db'))).toBe(false);
  });

  it('beside a bus without state of its own (Kafka), keeps <dataDir>/state.db', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-state-for-'));
    const s = stateStoreFor(new MemoryBus(), dataDir);
    expect(s).toBeInstanceOf(SqliteStateStore);
    await s.put('k', 1);
    s.close();
    expect(existsSync(join(dataDir, 'state.db'))).toBe(true);
  });
});
