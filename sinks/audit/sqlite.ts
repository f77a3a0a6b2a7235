import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { severityRank, type Severity } from '../../core/index.js';
import { rangeHashes, TreeBuilder, type NodeId } from '../../core/tlog/tree.js';
import { AuditError } from './errors.js';
import type { AuditEntry, AuditPage, AuditQuery, AuditRecord, AuditStore, BusPosition, RecordFields, StoredCheckpoint, StoredRow } from './port.js';
import { AppendPlanner, parseRecordBody } from './record.js';

/**
 * The default audit backend: one SQLite file in WAL mode with synchronous=FULL, so a resolved
 * append survived fsync. Append-only is enforced by triggers that abort any UPDATE or DELETE;
 * someone with file access can drop them, which is why `audit verify` recomputes everything.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_records (
  idx INTEGER PRIMARY KEY,
  id TEXT NOT NULL, kind TEXT NOT NULL, type TEXT NOT NULL, time TEXT NOT NULL,
  subject TEXT, digest TEXT, identity TEXT, severity TEXT, severity_rank INTEGER,
  topic TEXT, partition INTEGER, bus_offset INTEGER,
  body TEXT NOT NULL, leaf_hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_id ON audit_records(id);
CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records(time);
CREATE INDEX IF NOT EXISTS audit_records_subject ON audit_records(subject) WHERE subject IS NOT NULL;
-- Most records about an artifact have subject = digest: those are found through the subject
-- index, so the digest index only holds the others (a third fewer random index inserts).
CREATE INDEX IF NOT EXISTS audit_records_digest ON audit_records(digest) WHERE digest IS NOT NULL AND digest <> subject;
CREATE INDEX IF NOT EXISTS audit_records_identity ON audit_records(identity) WHERE identity IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_checkpoints (size INTEGER PRIMARY KEY, root_hash TEXT NOT NULL, note TEXT NOT NULL, created_at TEXT NOT NULL);
`;
const TABLES = ['audit_records', 'audit_nodes', 'audit_checkpoints'];
const TRIGGERS = TABLES.flatMap((t) =>
  ['UPDATE', 'DELETE'].map(
    (op) => `CREATE TRIGGER IF NOT EXISTS ${t}_no_${op.toLowerCase()} BEFORE ${op} ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END;`,
  ),
);

interface Row {
  idx: number;
  id: string;
  kind: string;
  type: string;
  time: string;
  subject: string | null;
  digest: string | null;
  identity: string | null;
  severity: string | null;
  body: string;
  leaf_hash: Buffer;
}

export interface SqliteAuditStoreOptions {
  /** Path of the database file (e.g. <dataDir>/audit/audit.db), or ':memory:'. */
  path: string;
  now?: () => Date;
}

export class SqliteAuditStore implements AuditStore {
  readonly kind = 'sqlite' as const;
  #db: Database.Database | undefined;
  #planner: AppendPlanner | undefined;
  #stmts = new Map<string, Database.Statement>();
  readonly #opts: SqliteAuditStoreOptions;

  constructor(opts: SqliteAuditStoreOptions) {
    this.#opts = opts;
  }

  async open(): Promise<void> {
    if (this.#db) return;
    try {
      if (this.#opts.path !== ':memory:') mkdirSync(dirname(this.#opts.path), { recursive: true });
      const db = new Database(this.#opts.path);
      db.exec('PRAGMA journal_mode = WAL');
      // FULL: a commit is fsynced before append() resolves; NORMAL could lose it on power failure.
      db.exec('PRAGMA synchronous = FULL');
      db.exec(SCHEMA);
      for (const t of TRIGGERS) db.exec(t);
      this.#db = db;
    } catch (err) {
      throw new AuditError('AUDIT_STORE_UNAVAILABLE', 'cannot open the audit database', { cause: err, retriable: true });
    }
    this.#planner = new AppendPlanner(await this.#loadBuilder());
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
    this.#stmts = new Map();
    this.#planner = undefined;
  }

  /** The raw connection, for tests that tamper with the file the way an attacker would. */
  get database(): Database.Database {
    return this.#conn();
  }

  async append(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    const db = this.#conn();
    const planner = this.#planner!;
    const expected = () => this.#planner!.size;
    if (entries.length === 0) return [];
    // Another process (the CLI adding a note while the daemon runs) may have appended: adopt its
    // records' frontier first. The check is repeated inside the write lock below.
    if (this.#storedSize() !== planner.size) this.#planner = new AppendPlanner(await this.#loadBuilder());
    const batch = this.#planner!.prepare(entries, (this.#opts.now ?? (() => new Date()))());
    const ins = this.#stmt(
      `INSERT INTO audit_records (idx, id, kind, type, time, subject, digest, identity, severity, severity_rank, topic, partition, bus_offset, body, leaf_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const node = this.#stmt('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)');
    try {
      db.transaction(() => {
        if (this.#storedSize() !== expected()) throw new AuditError('AUDIT_WRITE_FAILED', 'another writer appended concurrently', { retriable: true });
        for (const p of batch.records) {
          const r = p.record;
          const f = p.fields;
          ins.run(r.index, f.id, f.kind, f.type, f.time, f.subject, f.digest, f.identity, f.severity,
            f.severity ? severityRank(f.severity) : null, r.position?.topic ?? null, r.position?.partition ?? null,
            r.position?.offset ?? null, p.body, p.leafHash);
        }
        for (const n of batch.nodes) node.run(n.id.level, n.id.index, n.hash);
      }).immediate();
    } catch (err) {
      if (err instanceof AuditError) throw err;
      throw new AuditError('AUDIT_WRITE_FAILED', 'audit append failed', { cause: err, retriable: true });
    }
    this.#planner!.commit();
    return batch.records.map((p) => p.record);
  }

  async size(): Promise<number> {
    return this.#storedSize(); // not the planner's: another process may have appended
  }

  async get(ref: { index: number } | { id: string }): Promise<AuditRecord | undefined> {
    const db = this.#conn();
    const row = ('index' in ref
      ? this.#stmt('SELECT body FROM audit_records WHERE idx = ?').get(ref.index)
      : this.#stmt('SELECT body FROM audit_records WHERE id = ? ORDER BY idx LIMIT 1').get(ref.id)) as { body: string } | undefined;
    return row ? parseRecordBody(row.body) : undefined;
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    const db = this.#conn();
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      where.push(sql);
      args.push(v);
    };
    const desc = q.order === 'desc';
    if (q.since) add('time >= ?', q.since);
    if (q.until) add('time < ?', q.until);
    if (q.subject) add('subject = ?', q.subject);
    if (q.digest) {
      // Both terms are index-backed: subject index when digest = subject, partial digest index otherwise.
      where.push('((subject = ? AND digest = subject) OR (digest = ? AND digest <> subject))');
      args.push(q.digest, q.digest);
    }
    if (q.identity) add('identity = ?', q.identity);
    if (q.kind) add('kind = ?', q.kind);
    if (q.type) q.type.endsWith('*') ? add("type LIKE ? ESCAPE '\\'", `${escapeLike(q.type.slice(0, -1))}%`) : add('type = ?', q.type);
    if (q.severity) add('severity_rank >= ?', severityRank(q.severity));
    if (q.after !== undefined) add(desc ? 'idx < ?' : 'idx > ?', q.after);
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 10_000);
    const sql = `SELECT body FROM audit_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY idx ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = this.#stmt(sql).all(...args, limit + 1) as { body: string }[];
    const records = rows.slice(0, limit).map((r) => parseRecordBody(r.body));
    return rows.length > limit ? { records, next: records[records.length - 1]!.index } : { records };
  }

  async leafHashes(start: number, end: number): Promise<Buffer[]> {
    const rows = this.#stmt('SELECT idx, leaf_hash FROM audit_records WHERE idx >= ? AND idx < ? ORDER BY idx').all(start, end) as Pick<Row, 'idx' | 'leaf_hash'>[];
    if (rows.length !== end - start || rows.some((r, i) => r.idx !== start + i)) {
      throw new AuditError('AUDIT_NOT_FOUND', `leaf hashes [${start}, ${end}) are not all stored`);
    }
    return rows.map((r) => r.leaf_hash);
  }

  async nodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    const db = this.#conn();
    const leaf = this.#stmt('SELECT leaf_hash AS hash FROM audit_records WHERE idx = ?');
    const inner = this.#stmt('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?');
    return ids.map((id) => {
      const row = (id.level === 0 ? leaf.get(id.index) : inner.get(id.level, id.index)) as { hash: Buffer } | undefined;
      if (!row) throw new AuditError('AUDIT_NOT_FOUND', `tree node ${id.level}/${id.index} is not stored`);
      return row.hash;
    });
  }

  async scan(from: number, limit: number): Promise<StoredRow[]> {
    const rows = this.#stmt('SELECT * FROM audit_records WHERE idx >= ? ORDER BY idx LIMIT ?').all(from, limit) as Row[];
    return rows.map((r) => ({
      position: r.idx,
      body: r.body,
      leafHash: r.leaf_hash,
      fields: { id: r.id, kind: r.kind, type: r.type, time: r.time, subject: r.subject, digest: r.digest, identity: r.identity, severity: r.severity as Severity | null } as RecordFields,
    }));
  }

  async putCheckpoint(cp: StoredCheckpoint): Promise<void> {
    try {
      this.#stmt('INSERT INTO audit_checkpoints (size, root_hash, note, created_at) VALUES (?, ?, ?, ?)').run(cp.size, cp.rootHash, cp.note, cp.createdAt);
    } catch (err) {
      throw new AuditError('AUDIT_WRITE_FAILED', `cannot store the checkpoint of size ${cp.size}`, { cause: err });
    }
  }

  async listCheckpoints(): Promise<StoredCheckpoint[]> {
    const rows = this.#stmt('SELECT size, root_hash, note, created_at FROM audit_checkpoints ORDER BY size').all() as { size: number; root_hash: string; note: string; created_at: string }[];
    return rows.map((r) => ({ size: r.size, rootHash: r.root_hash, note: r.note, createdAt: r.created_at }));
  }

  async recentPositions(limit: number): Promise<BusPosition[]> {
    return this.#stmt('SELECT topic, partition, bus_offset AS offset FROM audit_records WHERE topic IS NOT NULL ORDER BY idx DESC LIMIT ?').all(limit) as BusPosition[];
  }

  /** Statements are prepared once per SQL text and reused for the life of the connection. */
  #stmt(sql: string): Database.Statement {
    let st = this.#stmts.get(sql);
    if (!st) {
      st = this.#conn().prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  #conn(): Database.Database {
    if (!this.#db) throw new AuditError('AUDIT_STORE_CLOSED', 'the audit store is not open');
    return this.#db;
  }

  #storedSize(): number {
    const row = this.#stmt('SELECT MAX(idx) AS last FROM audit_records').get() as { last: number | null };
    return row.last === null ? 0 : row.last + 1;
  }

  /** The frontier is read from the stored nodes at open (and after another writer appended). */
  async #loadBuilder(): Promise<TreeBuilder> {
    const size = this.#storedSize();
    if (size === 0) return TreeBuilder.empty();
    const frontier = await rangeHashes(TreeBuilder.frontierRanges(size), (ids) => this.nodes(ids));
    return TreeBuilder.fromFrontier(size, frontier);
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
