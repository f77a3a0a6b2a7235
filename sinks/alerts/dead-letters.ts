import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AlertPipelineError } from './errors.js';
import { type DeadLetterRow, openAlertDb } from './store.js';

/**
 * Dead letters: notifications a sink refused for good (4xx) or that exhausted their attempts or
 * age. They stay in the pipeline database until replayed: a replay moves them back into their
 * sink's outbox with a fresh attempt budget and the SAME notification id (idempotency for the peer).
 * Safe to run while the daemon runs (SQLite WAL + busy timeout; workers poll their outbox).
 *
 *   chainwatch sinks dead-letters list   [--sink NAME] [--json] [--data-dir DIR] [--file NAME]
 *   chainwatch sinks dead-letters replay ID... | --all [--sink NAME] [--data-dir DIR] [--file NAME]
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

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Default data dir when --data-dir is absent (the daemon passes its configured one). */
  dataDir?: string;
}

const USAGE = 'usage: chainwatch sinks dead-letters list|replay [ID...|--all] [--sink NAME] [--json] [--data-dir DIR] [--file NAME]';

/** `chainwatch sinks dead-letters ...`; returns the process exit code (0 ok, 1 failure, 2 usage). */
export async function deadLettersCommand(argv: readonly string[], io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  const [verb, ...rest] = argv;
  const ids: string[] = [];
  let sink: string | undefined;
  let dataDir = io.dataDir;
  let file = 'alerts.sqlite';
  let all = false;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = (): string | undefined => rest[++i];
    if (a === '--sink') sink = value();
    else if (a === '--data-dir') dataDir = value();
    else if (a === '--file') file = value() ?? file;
    else if (a === '--all') all = true;
    else if (a === '--json') json = true;
    else if (a.startsWith('--')) return usage(io, `unknown option ${a}`);
    else ids.push(a);
  }
  if (!dataDir) return usage(io, '--data-dir is required');
  const db = join(dataDir, file);
  try {
    if (verb === 'list') {
      const rows = listDeadLetters(db, sink ? { sink } : {});
      if (json) io.out(JSON.stringify(rows, null, 2));
      else {
        for (const r of rows) io.out(`${r.id}\t${r.sink}\t${r.route}\t${r.action}\t${r.code}\tattempts=${r.attempts}\tdead=${r.deadAt}\t${r.dedupKey}`);
        io.err(`${rows.length} dead letter(s)`);
      }
      return 0;
    }
    if (verb === 'replay') {
      if (!all && ids.length === 0) return usage(io, 'replay needs IDs or --all');
      const n = replayDeadLetters(db, { ids, all, ...(sink ? { sink } : {}) });
      io.err(`replayed ${n} dead letter(s) into their outboxes`);
      return 0;
    }
    return usage(io, verb ? `unknown command ${verb}` : 'missing command');
  } catch (err) {
    io.err(err instanceof AlertPipelineError ? `${err.code}: ${err.message}` : `error: ${(err as Error).message}`);
    return 1;
  }
}

function usage(io: CliIo, why: string): number {
  io.err(`${why}\n${USAGE}`);
  return 2;
}
