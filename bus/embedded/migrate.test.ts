import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { encodeEvent, makeEvent, ProbeEvent, topicFor } from '../../core/index.js';
import { embeddedBusConfigSchema } from './config.js';
import { EmbeddedBus } from './embedded-bus.js';
import { BUS_MIGRATIONS, partitionOf } from './schema.js';

const SYSTEM = topicFor('system');

/** bus.db exactly as chainwatch created it before schema versions were tracked (user_version 0). */
const DDL_BEFORE_VERSIONS = `
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

describe('EmbeddedBus on a bus.db written before schema versions', () => {
  it('opens and migrates it without loss: records, offsets and committed positions carry on', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-ebus-old-')), 'bus.db');
    const partitions = 1;
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.pragma('synchronous = NORMAL');
    old.exec(DDL_BEFORE_VERSIONS);
    const events = [0, 1, 2].map((seq) => makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject: 'k', data: { seq } }));
    const p = partitionOf('k', partitions);
    const insert = old.prepare('INSERT INTO records (topic, partition, offset, key, headers, value, ts) VALUES (?, ?, ?, ?, NULL, ?, ?)');
    events.forEach((e, i) => insert.run(SYSTEM, p, i, 'k', encodeEvent(e), Date.now()));
    old.prepare('INSERT INTO partitions VALUES (?, ?, ?)').run(SYSTEM, p, 3);
    old.prepare('INSERT INTO offsets VALUES (?, ?, ?, ?)').run('g', SYSTEM, p, 1); // group g handled offset 0
    expect(old.pragma('user_version', { simple: true })).toBe(0);
    old.close();

    const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: '20ms', partitions }), path });
    await bus.start();
    try {
      await bus.publish(makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject: 'k', data: { seq: 3 } }));
      const seen: { seq: number; offset: string }[] = [];
      await bus.subscribe({
        group: 'g',
        topics: [SYSTEM],
        handler: async (r) => void seen.push({ seq: (r.event.data as { seq: number }).seq, offset: r.offset }),
      });
      await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(3), { timeout: 3_000 });
      expect(seen).toEqual([
        { seq: 1, offset: '1' },
        { seq: 2, offset: '2' },
        { seq: 3, offset: '3' },
      ]);
    } finally {
      await bus.stop();
    }
    const after = new Database(path);
    expect(after.pragma('user_version', { simple: true })).toBe(BUS_MIGRATIONS.length);
    after.close();
  });
});

describe('EmbeddedBus.stateStore', () => {
  const open = (dir: string, over: Record<string, unknown> = {}): EmbeddedBus =>
    new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: '20ms', ...over }), path: join(dir, 'bus.db') });

  it('keeps state in the bus database itself, with the bus durability, before start and after stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-ebus-state-'));
    const bus = open(dir, { fsync: true });
    const state = bus.stateStore(); // before start(): the daemon builds it first
    await state.put('rekor:x:cursor', { verified: 5 });
    await bus.start();
    await bus.publish(makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject: 'k', data: { seq: 0 } }));
    await bus.stop();
    await state.put('rekor:x:cursor', { verified: 6 }); // collectors stop before the bus; state closes last
    state.close();
    expect(state.isOpen()).toBe(false);

    const raw = new Database(join(dir, 'bus.db'));
    expect(raw.prepare('SELECT value FROM state WHERE key = ?').pluck().get('rekor:x:cursor')).toBe(JSON.stringify({ verified: 6 }));
    expect(raw.prepare('SELECT count(*) FROM records').pluck().get()).toBe(1);
    raw.close();

    const again = open(dir, { fsync: true }).stateStore();
    expect(await again.get('rekor:x:cursor')).toEqual({ verified: 6 });
    again.close();
  });

  it('states its durability from the fsync option: power-loss (FULL) or process-crash (NORMAL)', () => {
    for (const [fsync, level] of [
      [true, 2],
      [false, 1],
    ] as const) {
      const state = open(mkdtempSync(join(tmpdir(), 'cw-ebus-sync-')), { fsync }).stateStore();
      const db = (state as unknown as { db: Database.Database }).db;
      expect(db.pragma('synchronous', { simple: true }), `fsync: ${fsync}`).toBe(level);
      state.close();
    }
  });
});
