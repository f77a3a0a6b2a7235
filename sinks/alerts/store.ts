import { openSqlite, type SqliteDatabase, type SqliteMigration } from '../../core/sqlite/index.js';

/**
 * The pipeline's durable state, one SQLite file (WAL, synchronous=FULL) under the component's
 * data dir. One file rather than one per sink because the dedup state change and the outbox rows
 * it produces must commit in ONE transaction: either the finding is fully accounted for (state +
 * every sink's notification) or not at all and the bus redelivers it.
 *
 * Tables
 *   seen          findingIds already ingested (makes at-least-once redelivery from the bus idempotent)
 *   alert_state   one row per (route, dedupKey): open episode, window, occurrences, held/pending
 *   throttle      per-route fixed-window notification budget
 *   outbox        notifications per sink, status pending|done; drained in seq order per sink
 *   dead_letters  notifications that exhausted their attempts or were refused for good
 *   refs          externalRef a sink returned, per (sink, route, dedupKey), for later updates
 */
const TABLES_V1 = `
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

export interface StateRow {
  route: string;
  dedup_key: string;
  open: number;
  window_seq: number;
  window_start: number;
  window_end: number;
  first_seen: string;
  last_seen: string;
  occurrences: number;
  pending: number;
  sent: number;
  held: number;
  finding: string;
  updated_at: number;
}

export interface OutboxRow {
  seq: number;
  id: string;
  sink: string;
  route: string;
  dedup_key: string;
  action: string;
  payload: string;
  created_at: number;
  attempts: number;
  status: 'pending' | 'done';
  delivered_at: number | null;
  last_error: string | null;
}

/** An outbox row that exhausted its budget, with why. */
export interface DeadLetterRow extends Pick<OutboxRow, 'id' | 'sink' | 'route' | 'dedup_key' | 'action' | 'payload' | 'created_at' | 'attempts'> {
  code: string;
  reason: string;
  dead_at: number;
}

/** alerts.sqlite's schema history (core/sqlite migrations): append, never edit. */
const MIGRATIONS: readonly SqliteMigration[] = [
  // Version 1 is the DDL files were created with before versions were tracked.
  { name: 'alert pipeline tables', up: TABLES_V1 },
];

/** Opens (creating if needed) the pipeline database. `:memory:` serves benches and unit tests. */
export function openAlertDb(file: string): SqliteDatabase {
  // power-loss: the bus offset of a finding is committed on the strength of this commit (see
  // AlertPipeline.handle), and the bus may keep its offsets on another machine (Kafka) or in
  // another file, so a commit lost to power failure would drop the finding's notifications.
  return openSqlite(file, { durability: 'power-loss', migrations: MIGRATIONS });
}

/** Prepared statements, built once per database. */
export function statements(db: SqliteDatabase) {
  return {
    seenGet: db.prepare<[string], { at: number }>('SELECT at FROM seen WHERE finding_id = ?'),
    seenPut: db.prepare<[string, number]>('INSERT OR IGNORE INTO seen (finding_id, at) VALUES (?, ?)'),
    seenPrune: db.prepare<[number]>('DELETE FROM seen WHERE finding_id IN (SELECT finding_id FROM seen WHERE at < ? LIMIT 5000)'),
    stateGet: db.prepare<[string, string], StateRow>('SELECT * FROM alert_state WHERE route = ? AND dedup_key = ?'),
    statePut: db.prepare<StateRow>(
      `INSERT OR REPLACE INTO alert_state (route, dedup_key, open, window_seq, window_start, window_end, first_seen, last_seen,
         occurrences, pending, sent, held, finding, updated_at)
       VALUES (@route, @dedup_key, @open, @window_seq, @window_start, @window_end, @first_seen, @last_seen,
         @occurrences, @pending, @sent, @held, @finding, @updated_at)`,
    ),
    stateDue: db.prepare<[number, number], StateRow>(
      'SELECT * FROM alert_state WHERE pending > 0 AND window_end <= ? AND open = 1 AND held = 0 ORDER BY window_end LIMIT ?',
    ),
    stateHeld: db.prepare<[number], StateRow>('SELECT * FROM alert_state WHERE held = 1 ORDER BY updated_at LIMIT ?'),
    statePrune: db.prepare<[number]>('DELETE FROM alert_state WHERE open = 0 AND updated_at < ?'),
    throttleGet: db.prepare<[string], { window_start: number; count: number }>('SELECT window_start, count FROM throttle WHERE route = ?'),
    throttlePut: db.prepare<[string, number, number]>('INSERT OR REPLACE INTO throttle (route, window_start, count) VALUES (?, ?, ?)'),
    outboxInsert: db.prepare<[string, string, string, string, string, string, number]>(
      'INSERT OR IGNORE INTO outbox (id, sink, route, dedup_key, action, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    outboxNext: db.prepare<[string], OutboxRow>("SELECT * FROM outbox WHERE sink = ? AND status = 'pending' ORDER BY seq LIMIT 1"),
    outboxAttempt: db.prepare<[number]>('UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?'),
    outboxError: db.prepare<[string, number]>('UPDATE outbox SET last_error = ? WHERE seq = ?'),
    outboxDone: db.prepare<[number, number]>("UPDATE outbox SET status = 'done', delivered_at = ?, last_error = NULL WHERE seq = ?"),
    outboxDelete: db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
    outboxPending: db.prepare<[string], { n: number }>("SELECT count(*) AS n FROM outbox WHERE sink = ? AND status = 'pending'"),
    outboxPrune: db.prepare<[number]>("DELETE FROM outbox WHERE status = 'done' AND delivered_at < ?"),
    deadInsert: db.prepare<DeadLetterRow>(
      `INSERT OR REPLACE INTO dead_letters (id, sink, route, dedup_key, action, payload, created_at, attempts, code, reason, dead_at)
       VALUES (@id, @sink, @route, @dedup_key, @action, @payload, @created_at, @attempts, @code, @reason, @dead_at)`,
    ),
    refGet: db.prepare<[string, string, string], { external_ref: string }>('SELECT external_ref FROM refs WHERE sink = ? AND route = ? AND dedup_key = ?'),
    refPut: db.prepare<[string, string, string, string, number]>(
      'INSERT OR REPLACE INTO refs (sink, route, dedup_key, external_ref, updated_at) VALUES (?, ?, ?, ?, ?)',
    ),
  };
}
export type Statements = ReturnType<typeof statements>;
