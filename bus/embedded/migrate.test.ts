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

    const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollIntervalMs: 20, partitions }), path });
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
