import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openAlertDb, statements } from './store.js';

/** alerts.sqlite exactly as the pipeline created it before schema versions were tracked (user_version 0). */
const DDL_BEFORE_VERSIONS = `
CREATE TABLE IF NOT EXISTS seen (finding_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_at ON seen(at);
CREATE TABLE IF NOT EXISTS alert_state (
  route TEXT NOT NULL, dedup_key TEXT NOT NULL,
  open INTEGER NOT NULL, window_seq INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, occurrences INTEGER NOT NULL, pending INTEGER NOT NULL,
  sent INTEGER NOT NULL, held INTEGER NOT NULL, finding TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (route, dedup_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS state_due ON alert_state(window_end) WHERE pending > 0;
CREATE INDEX IF NOT EXISTS state_held ON alert_state(updated_at) WHERE held = 1;
CREATE INDEX IF NOT EXISTS state_closed ON alert_state(updated_at) WHERE open = 0;
CREATE TABLE IF NOT EXISTS throttle (route TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, sink TEXT NOT NULL, route TEXT NOT NULL,
  dedup_key TEXT NOT NULL, action TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'pending', delivered_at INTEGER,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(sink, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_done ON outbox(delivered_at) WHERE status = 'done';
CREATE TABLE IF NOT EXISTS dead_letters (
  id TEXT PRIMARY KEY, sink TEXT NOT NULL, route TEXT NOT NULL, dedup_key TEXT NOT NULL, action TEXT NOT NULL,
  payload TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL, code TEXT NOT NULL,
  reason TEXT NOT NULL, dead_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refs (
  sink TEXT NOT NULL, route TEXT NOT NULL, dedup_key TEXT NOT NULL, external_ref TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (sink, route, dedup_key)
) WITHOUT ROWID;
`;

describe('openAlertDb', () => {
  it('opens an alerts.sqlite written before schema versions without loss, power-loss durable', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cw-alerts-old-')), 'alerts.sqlite');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.pragma('synchronous = FULL');
    old.exec(DDL_BEFORE_VERSIONS);
    old.prepare('INSERT INTO seen (finding_id, at) VALUES (?, ?)').run('f-1', 5);
    old
      .prepare('INSERT INTO outbox (id, sink, route, dedup_key, action, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run('n-1', 'slack', 'security', 'k', 'trigger', '{}', 5);
    old.close();

    const db = openAlertDb(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      const st = statements(db);
      expect(st.seenGet.get('f-1')).toEqual({ at: 5 });
      expect(st.outboxNext.get('slack')).toMatchObject({ id: 'n-1', status: 'pending', attempts: 0 });
    } finally {
      db.close();
    }
  });
});
