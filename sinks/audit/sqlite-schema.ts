import { AuditError } from './errors.js';
import type { SqliteDatabase, SqliteMigration } from '../../core/sqlite/index.js';

/**
 * The audit database's layout (chosen by measurement, see docs/benchmarks-audit.md):
 * - audit_records holds only what the tree needs: the canonical body and its leaf hash. Keeping
 *   the ~350 bytes of searchable columns out of it lets two ~2 KiB records share a 4 KiB page
 *   (one per page before), which halves the pages every append writes.
 * - audit_fields holds the searchable projection (verify checks it against the body). Its
 *   lookup indexes are over 32-bit keys of the values (searchKey) rather than the ~40-75 byte
 *   strings: digests, UUIDs and SANs are random, so every insert lands on a random index page,
 *   and narrower entries mean far fewer pages to dirty per batch. Queries match the key through
 *   the index and then the value itself, so a key collision only costs a row read.
 * - Most records about an artifact have digest = subject: those are found through the subject
 *   key, so digest_key is only set (and indexed) for the others.
 */
const TABLES_V1 = `
CREATE TABLE IF NOT EXISTS audit_records (idx INTEGER PRIMARY KEY, body TEXT NOT NULL, leaf_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS audit_fields (
  idx INTEGER PRIMARY KEY,
  id TEXT NOT NULL, kind TEXT NOT NULL, type TEXT NOT NULL, time TEXT NOT NULL,
  subject TEXT, digest TEXT, identity TEXT, severity TEXT,
  topic TEXT, partition INTEGER, bus_offset INTEGER,
  id_key INTEGER NOT NULL, subject_key INTEGER, digest_key INTEGER, identity_key INTEGER
);
CREATE INDEX IF NOT EXISTS audit_fields_id ON audit_fields(id_key);
CREATE INDEX IF NOT EXISTS audit_fields_time ON audit_fields(time);
CREATE INDEX IF NOT EXISTS audit_fields_subject ON audit_fields(subject_key) WHERE subject_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_fields_digest ON audit_fields(digest_key) WHERE digest_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_fields_identity ON audit_fields(identity_key) WHERE identity_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_checkpoints (size INTEGER PRIMARY KEY, root_hash TEXT NOT NULL, note TEXT NOT NULL, created_at TEXT NOT NULL);
`;
const TABLES = ['audit_records', 'audit_fields', 'audit_nodes', 'audit_checkpoints'];
const TRIGGERS = TABLES.flatMap((t) =>
  ['UPDATE', 'DELETE'].map(
    (op) => `CREATE TRIGGER IF NOT EXISTS ${t}_no_${op.toLowerCase()} BEFORE ${op} ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END;`,
  ),
);

/**
 * The layout before audit_fields kept the searchable columns in audit_records. It is refused
 * rather than migrated: its leaf hashes covered a different record form, so mixing the two in
 * one tree would make the trail unverifiable. Permanent: retrying cannot help.
 */
function refuseOldLayout(db: SqliteDatabase): void {
  const cols = db.prepare("SELECT name FROM pragma_table_info('audit_records')").all() as { name: string }[];
  if (cols.some((c) => c.name === 'subject')) {
    throw new AuditError(
      'AUDIT_STORE_UNAVAILABLE',
      'the audit database has the old one-table layout (before audit_fields); move it aside and start a new one',
      { retriable: false },
    );
  }
}

/** audit.db's schema history (core/sqlite migrations): append, never edit. */
export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    // Version 1 is the DDL files were created with before versions were tracked.
    name: 'audit tables and append-only triggers',
    up: (db) => {
      refuseOldLayout(db);
      db.exec(TABLES_V1);
      for (const t of TRIGGERS) db.exec(t);
    },
  },
  {
    // A row at a negative index sat outside verify's walk and shadowed the genuine record.
    name: 'refuse rows outside [0, size)',
    up: (db) => {
      for (const t of ['audit_records', 'audit_fields']) {
        db.exec(
          `CREATE TRIGGER IF NOT EXISTS ${t}_index_range BEFORE INSERT ON ${t} WHEN NEW.idx < 0 OR NEW.idx > (SELECT COALESCE(MAX(idx), -1) + 1 FROM ${t}) BEGIN SELECT RAISE(ABORT, '${t}: index outside [0, size]'); END;`,
        );
      }
    },
  },
];

/**
 * WAL pages before an automatic checkpoint (default 1000, ~4 MiB, i.e. every other 500-record
 * batch). The random-key index pages are re-dirtied by almost every batch; checkpointing every
 * ~18 batches copies each of them to the database file once instead of nine times (+16% append
 * rate in the layout experiment). Durability is unchanged (commits are fsynced in the WAL); the
 * WAL file grows to ~40 MiB.
 */
export const WAL_AUTOCHECKPOINT = 10_000;

/**
 * The 32-bit FNV-1a hash of a value's UTF-16 code units, as a signed integer: the indexed lookup
 * key of id, subject, digest and identity. Stored in the database: never change it.
 */
export function searchKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
export const keyOf = (s: string | null): number | null => (s === null ? null : searchKey(s));
