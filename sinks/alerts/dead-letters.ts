import { existsSync } from 'node:fs';
import { AlertPipelineError } from './errors.js';
import { type DeadLetterRow, openAlertDb } from './store.js';

/**
 * Dead letters: notifications a sink refused for good (4xx) or that exhausted their attempts or
 * age. They stay in the pipeline database until replayed: a replay moves them back into their
 * sink's outbox with a fresh attempt budget and the SAME notification id (idempotency for the peer).
 * Safe to run while the daemon runs (SQLite WAL + busy timeout; workers poll their outbox).
 * The CLI commands are in commands.ts.
 */
export interface DeadLetter {
  id: string;
  sink: string;
  route: string;
  dedupKey: string;
  action: string;
  attempts: number;
  code: string;
  reason: string;
  createdAt: string;
  deadAt: string;
}

function toDeadLetter(r: DeadLetterRow): DeadLetter {
  return {
    id: r.id,
    sink: r.sink,
    route: r.route,
    dedupKey: r.dedup_key,
    action: r.action,
    attempts: r.attempts,
    code: r.code,
    reason: r.reason,
    createdAt: new Date(r.created_at).toISOString(),
    deadAt: new Date(r.dead_at).toISOString(),
  };
}

function open(file: string) {
  if (!existsSync(file)) throw new AlertPipelineError('ALERTS_STORE_FAILED', `no alert database at ${file} (check --data-dir)`);
  return openAlertDb(file);
}

export function listDeadLetters(file: string, opts: { sink?: string } = {}): DeadLetter[] {
  const db = open(file);
  try {
    const rows = opts.sink
      ? db.prepare<[string], DeadLetterRow>('SELECT * FROM dead_letters WHERE sink = ? ORDER BY dead_at, id').all(opts.sink)
      : db.prepare<[], DeadLetterRow>('SELECT * FROM dead_letters ORDER BY dead_at, id').all();
    return rows.map(toDeadLetter);
  } finally {
    db.close();
  }
}

/** Moves dead letters back to their outboxes; returns how many. Unknown ids throw ALERTS_DEAD_LETTER_NOT_FOUND (nothing moved). */
export function replayDeadLetters(file: string, opts: { ids?: readonly string[]; all?: boolean; sink?: string }, nowMs = Date.now()): number {
  const db = open(file);
  try {
    const select = db.prepare<[string], DeadLetterRow>('SELECT * FROM dead_letters WHERE id = ?');
    const insert = db.prepare<[string, string, string, string, string, string, number]>(
      "INSERT OR REPLACE INTO outbox (id, sink, route, dedup_key, action, payload, created_at, attempts, status) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'pending')",
    );
    const remove = db.prepare<[string]>('DELETE FROM dead_letters WHERE id = ?');
    return db.transaction(() => {
      let rows: DeadLetterRow[];
      if (opts.all) {
        rows = db.prepare<[], DeadLetterRow>('SELECT * FROM dead_letters ORDER BY dead_at, id').all();
      } else {
        rows = (opts.ids ?? []).map((id) => {
          const r = select.get(id);
          if (!r) throw new AlertPipelineError('ALERTS_DEAD_LETTER_NOT_FOUND', `no dead letter with id ${id}`);
          return r;
        });
      }
      if (opts.sink) rows = rows.filter((r) => r.sink === opts.sink);
      for (const r of rows) {
        insert.run(r.id, r.sink, r.route, r.dedup_key, r.action, r.payload, nowMs);
        remove.run(r.id);
      }
      return rows.length;
    })();
  } finally {
    db.close();
  }
}
