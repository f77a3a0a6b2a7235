import Database from 'better-sqlite3';
import { ArtifactVerifiedEvent, type CloudEvent, RekorEntryEvent } from '../../core/index.js';
import { TrainError } from './errors.js';

/**
 * The audit trail as a training source, read through its documented file format (docs/audit.md
 * "Formats"; sinks/audit/sqlite-schema.ts): in `<data-dir>/audit/audit.db`, `audit_records.body`
 * is the canonical JSON of a record whose `payload` is the whole event, and `audit_fields` holds
 * each record's `type` and `kind`; records are in bus-consumption order (`idx`). Opened READ-ONLY
 * with better-sqlite3 directly: core/sqlite's openSqlite would want the audit sink's migration list
 * (a sibling's), and this reader never writes, so it needs none. A running daemon may keep appending.
 */
export interface AuditSource {
  /** The verified artifacts and Rekor entries the provenance detector consumes, in record order. */
  events(): Generator<CloudEvent>;
  /** Ids of the events a `provenance` finding was raised for (its `causedBy`). */
  flaggedEventIds(): Set<string>;
  close(): void;
}

interface Row {
  body: string;
}

export function openAuditSource(path: string): AuditSource {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.prepare('SELECT 1 FROM audit_fields f JOIN audit_records r ON r.idx = f.idx LIMIT 1').all();
  } catch (e) {
    throw new TrainError('TRAIN_AUDIT_UNREADABLE', `${path} is not a readable chainwatch audit database`, { cause: e });
  }
  const rows = (where: string, ...params: string[]): Generator<CloudEvent> =>
    (function* () {
      const stmt = db.prepare(`SELECT r.body FROM audit_fields f JOIN audit_records r ON r.idx = f.idx WHERE ${where} ORDER BY f.idx`);
      for (const row of stmt.iterate(...params) as IterableIterator<Row>) {
        const payload = (JSON.parse(row.body) as { payload?: unknown }).payload;
        if (typeof payload === 'object' && payload !== null) yield payload as CloudEvent;
      }
    })();
  return {
    events: () => rows('f.type IN (?, ?)', ArtifactVerifiedEvent.type, RekorEntryEvent.type),
    flaggedEventIds() {
      const ids = new Set<string>();
      for (const ev of rows("f.kind = 'finding'")) {
        const d = ev.data as { detector?: unknown; causedBy?: unknown };
        if (d?.detector === 'provenance' && Array.isArray(d.causedBy)) for (const id of d.causedBy) if (typeof id === 'string') ids.add(id);
      }
      return ids;
    },
    close: () => db.close(),
  };
}
