import { existsSync } from 'node:fs';
import { ChainwatchError, type Severity } from '../../core/index.js';
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '../../core/sqlite/index.js';
import { rangeHashes, TreeBuilder, type NodeId } from '../../core/tlog/index.js';
import { AuditError } from './errors.js';
import type {
  AuditEntry,
  AuditPage,
  AuditQuery,
  AuditRecord,
  AuditStore,
  BusPosition,
  RecordFields,
  StoredCheckpoint,
  StoredRow,
  TableCensus,
} from './port.js';
import { AppendPlanner, parseRecordBody } from './record.js';
import { querySql } from './sqlite-query.js';
import { keyOf, MIGRATIONS, searchKey, WAL_AUTOCHECKPOINT } from './sqlite-schema.js';

export { searchKey } from './sqlite-schema.js';

interface ScanRow {
  idx: number;
  id: string | null;
  kind: string | null;
  type: string | null;
  time: string | null;
  subject: string | null;
  digest: string | null;
  identity: string | null;
  severity: string | null;
  id_key: number | null;
  subject_key: number | null;
  digest_key: number | null;
  identity_key: number | null;
  body: string;
  leaf_hash: Buffer;
}

/**
 * Queries find rows through the search keys, not the values: a key that no longer matches its
 * value hides the record from `query`/`get` as surely as an edited value. Such a field is
 * reported as differing from the signed body (RECORD_FIELDS_MISMATCH).
 */
const STALE_KEY = '\u0000stale search key';
function keyed(value: string | null, key: number | null, expected: number | null): string | null {
  return key === expected ? value : STALE_KEY;
}

export interface SqliteAuditStoreOptions {
  /** Path of the database file (e.g. <dataDir>/audit/audit.db), or ':memory:'. */
  path: string;
  now?: () => Date;
  /** false: refuse to open a file that does not exist (AUDIT_STORE_NOT_FOUND) instead of creating it. Default true. */
  create?: boolean;
}

/**
 * The default audit backend: one SQLite file in WAL mode with synchronous=FULL, so a resolved
 * append survived fsync (one fsync per append() batch: each batch is one transaction). Append-only
 * is enforced by triggers that abort any UPDATE or DELETE; someone with file access can drop
 * them, which is why `audit verify` recomputes everything.
 *
 * Tables, triggers, migrations and search keys: sqlite-schema.ts.
 */
export class SqliteAuditStore implements AuditStore {
  readonly kind = 'sqlite' as const;
  #db: SqliteDatabase | undefined;
  #planner: AppendPlanner | undefined;
  #stmts = new Map<string, SqliteStatement>();
  readonly #opts: SqliteAuditStoreOptions;

  constructor(opts: SqliteAuditStoreOptions) {
    this.#opts = opts;
  }

  async open(): Promise<void> {
    if (this.#db) return;
    const { path, create = true } = this.#opts;
    if (!create && path !== ':memory:' && !existsSync(path)) {
      throw new AuditError('AUDIT_STORE_NOT_FOUND', `no audit trail at ${path} (check --data-dir, --config or sinks.audit.backend.path)`, { retriable: false });
    }
    try {
      // power-loss: a commit is fsynced before append() resolves, and the bus commits its offset
      // on the strength of it; with NORMAL a power failure could lose records the bus skips.
      this.#db = openSqlite(this.#opts.path, { durability: 'power-loss', migrations: MIGRATIONS, walAutocheckpoint: WAL_AUTOCHECKPOINT });
    } catch (err) {
      if (err instanceof AuditError) throw err;
      // I/O trouble is worth retrying; a file from a newer release (StorageError, not retriable) is not.
      const retriable = err instanceof ChainwatchError ? err.retriable : true;
      throw new AuditError('AUDIT_STORE_UNAVAILABLE', 'cannot open the audit database', { cause: err, retriable });
    }
    // Only a writer needs the tree's frontier. A reader (create: false: verify, query, proof) must
    // open a tampered file too, so that verify can name what was done to it: a row forged at a
    // high index inflates the size and the frontier's nodes for it do not exist.
    if (create) this.#planner = new AppendPlanner(await this.#loadBuilder());
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
    this.#stmts = new Map();
    this.#planner = undefined;
  }

  /** The raw connection, for tests that tamper with the file the way an attacker would. */
  get database(): SqliteDatabase {
    return this.#conn();
  }

  async append(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    const db = this.#conn();
    const expected = () => this.#planner!.size;
    if (entries.length === 0) return [];
    // Another process (the CLI adding a note while the daemon runs) may have appended: adopt its
    // records' frontier first (a store opened as a reader loads it here). The check is repeated
    // inside the write lock below.
    if (this.#planner?.size !== this.#storedSize()) this.#planner = new AppendPlanner(await this.#loadBuilder());
    const batch = this.#planner.prepare(entries, (this.#opts.now ?? (() => new Date()))());
    const rec = this.#stmt('INSERT INTO audit_records (idx, body, leaf_hash) VALUES (?, ?, ?)');
    const fld = this.#stmt(
      `INSERT INTO audit_fields (idx, id, kind, type, time, subject, digest, identity, severity, topic, partition, bus_offset, id_key, subject_key, digest_key, identity_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const node = this.#stmt('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)');
    try {
      db.transaction(() => {
        if (this.#storedSize() !== expected()) throw new AuditError('AUDIT_WRITE_FAILED', 'another writer appended concurrently', { retriable: true });
        for (const p of batch.records) {
          const i = p.record.index;
          const f = p.fields;
          const pos = p.record.position;
          rec.run(i, p.body, p.leafHash);
          fld.run(
            i,
            f.id,
            f.kind,
            f.type,
            f.time,
            f.subject,
            f.digest,
            f.identity,
            f.severity,
            pos?.topic ?? null,
            pos?.partition ?? null,
            pos?.offset ?? null,
            searchKey(f.id),
            keyOf(f.subject),
            f.digest !== null && f.digest !== f.subject ? searchKey(f.digest) : null,
            keyOf(f.identity),
          );
        }
        for (const n of batch.nodes) node.run(n.id.level, n.id.index, n.hash);
      }).immediate();
    } catch (err) {
      if (err instanceof AuditError) throw err;
      throw new AuditError('AUDIT_WRITE_FAILED', 'audit append failed', { cause: err, retriable: true });
    }
    this.#planner.commit();
    return batch.records.map((p) => p.record);
  }

  async size(): Promise<number> {
    return this.#storedSize(); // not the planner's: another process may have appended
  }

  async get(ref: { index: number } | { id: string }): Promise<AuditRecord | undefined> {
    this.#conn(); // AUDIT_STORE_CLOSED once closed, before a cached statement runs
    const row = (
      'index' in ref
        ? ref.index < 0
          ? undefined
          : this.#stmt('SELECT body FROM audit_records WHERE idx = ?').get(ref.index)
        : this.#stmt(
            'SELECT r.body FROM audit_fields f JOIN audit_records r ON r.idx = f.idx WHERE f.id_key = ? AND f.id = ? AND f.idx >= 0 ORDER BY f.idx LIMIT 1',
          ).get(searchKey(ref.id), ref.id)
    ) as { body: string } | undefined;
    return row ? parseRecordBody(row.body) : undefined;
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    this.#conn(); // AUDIT_STORE_CLOSED once closed, before a cached statement runs
    const { sql, args, limit } = querySql(q);
    const rows = this.#stmt(sql).all(...args, limit + 1) as { body: string }[];
    const records = rows.slice(0, limit).map((r) => parseRecordBody(r.body));
    return rows.length > limit ? { records, next: records[records.length - 1]!.index } : { records };
  }

  async leafHashes(start: number, end: number): Promise<Buffer[]> {
    const rows = this.#stmt('SELECT idx, leaf_hash FROM audit_records WHERE idx >= ? AND idx < ? ORDER BY idx').all(start, end) as Pick<
      ScanRow,
      'idx' | 'leaf_hash'
    >[];
    if (rows.length !== end - start || rows.some((r, i) => r.idx !== start + i)) {
      throw new AuditError('AUDIT_NOT_FOUND', `leaf hashes [${start}, ${end}) are not all stored`);
    }
    return rows.map((r) => r.leaf_hash);
  }

  async nodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    this.#conn(); // AUDIT_STORE_CLOSED once closed, before a cached statement runs
    const leaf = this.#stmt('SELECT leaf_hash AS hash FROM audit_records WHERE idx = ?');
    const inner = this.#stmt('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?');
    return ids.map((id) => {
      const row = (id.level === 0 ? leaf.get(id.index) : inner.get(id.level, id.index)) as { hash: Buffer } | undefined;
      if (!row) throw new AuditError('AUDIT_NOT_FOUND', `tree node ${id.level}/${id.index} is not stored`);
      return row.hash;
    });
  }

  async scan(from: number, limit: number): Promise<StoredRow[]> {
    // LEFT JOIN: a record whose fields row was removed still shows up (with null fields, which verify flags).
    const rows = this.#stmt(
      `SELECT r.idx, r.body, r.leaf_hash, f.id, f.kind, f.type, f.time, f.subject, f.digest, f.identity, f.severity,
         f.id_key, f.subject_key, f.digest_key, f.identity_key
       FROM audit_records r LEFT JOIN audit_fields f ON f.idx = r.idx WHERE r.idx >= ? ORDER BY r.idx LIMIT ?`,
    ).all(from, limit) as ScanRow[];
    return rows.map((r) => ({
      position: r.idx,
      body: r.body,
      leafHash: r.leaf_hash,
      fields: {
        id: r.id === null ? null : keyed(r.id, r.id_key, searchKey(r.id)),
        kind: r.kind,
        type: r.type,
        time: r.time,
        subject: keyed(r.subject, r.subject_key, keyOf(r.subject)),
        digest: keyed(r.digest, r.digest_key, r.digest !== null && r.digest !== r.subject ? searchKey(r.digest) : null),
        identity: keyed(r.identity, r.identity_key, keyOf(r.identity)),
        severity: r.severity as Severity | null,
      } as RecordFields,
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
    const rows = this.#stmt('SELECT size, root_hash, note, created_at FROM audit_checkpoints ORDER BY size').all() as {
      size: number;
      root_hash: string;
      note: string;
      created_at: string;
    }[];
    return rows.map((r) => ({ size: r.size, rootHash: r.root_hash, note: r.note, createdAt: r.created_at }));
  }

  async recentPositions(limit: number): Promise<BusPosition[]> {
    return this.#stmt('SELECT topic, partition, bus_offset AS offset FROM audit_fields WHERE topic IS NOT NULL ORDER BY idx DESC LIMIT ?').all(
      limit,
    ) as BusPosition[];
  }

  async census(): Promise<TableCensus[]> {
    const one = (table: 'records' | 'fields' | 'checkpoints', sql: string): TableCensus => ({ table, ...(this.#stmt(sql).get() as Counted) });
    const nodes = this.#stmt(
      'SELECT level, COUNT(*) AS count, MIN(idx) AS min, MAX(idx) AS max FROM audit_nodes GROUP BY level ORDER BY level',
    ).all() as (Counted & {
      level: number;
    })[];
    return [
      one('records', 'SELECT COUNT(*) AS count, MIN(idx) AS min, MAX(idx) AS max FROM audit_records'),
      one('fields', 'SELECT COUNT(*) AS count, MIN(idx) AS min, MAX(idx) AS max FROM audit_fields'),
      ...nodes.map((n) => ({ table: 'nodes' as const, level: n.level, count: n.count, min: n.min, max: n.max })),
      one('checkpoints', 'SELECT COUNT(*) AS count, MIN(size) AS min, MAX(size) AS max FROM audit_checkpoints'),
    ];
  }

  /** Statements are prepared once per SQL text and reused for the life of the connection. */
  #stmt(sql: string): SqliteStatement {
    let st = this.#stmts.get(sql);
    if (!st) {
      st = this.#conn().prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  #conn(): SqliteDatabase {
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

type Counted = Pick<TableCensus, 'count' | 'min' | 'max'>;
