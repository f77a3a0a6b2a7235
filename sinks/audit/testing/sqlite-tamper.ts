import Database from 'better-sqlite3';
import { canonicalJson } from '../../../core/index.js';
import { leafHash } from '../../../core/tlog/index.js';
import type { Tamperer } from './contract.js';

/**
 * What someone with write access to the database file can do: open it with a plain SQLite
 * connection, drop the append-only triggers, change rows, and put the triggers back.
 */
/** What only SQLite file access can do beyond the backend-neutral Tamperer. */
export interface SqliteTamperer extends Tamperer {
  /** DELETE FROM audit_checkpoints, for those at or above `fromSize` (all by default). */
  deleteCheckpoints(fromSize?: number): Promise<void>;
  /** Copies record `from` (body, leaf hash, fields) to position `to`, e.g. a negative one. */
  copyRecord(from: number, to: number): Promise<void>;
  /** Runs raw SQL with the triggers dropped, e.g. to plant a forged extra row. */
  exec(sql: string): Promise<void>;
}

export function sqliteTamperer(path: string): SqliteTamperer {
  const withRaw = (fn: (db: Database.Database) => void): void => {
    const db = new Database(path);
    try {
      const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as { name: string; sql: string }[];
      db.transaction(() => {
        for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
        fn(db);
        for (const t of triggers) db.exec(t.sql);
      })();
    } finally {
      db.close();
    }
  };
  return {
    async editBody(index, edit, rehash) {
      withRaw((db) => {
        const { body } = db.prepare('SELECT body FROM audit_records WHERE idx = ?').get(index) as { body: string };
        const parsed = JSON.parse(body) as Record<string, unknown>;
        edit(parsed);
        const next = canonicalJson(parsed);
        db.prepare('UPDATE audit_records SET body = ? WHERE idx = ?').run(next, index);
        if (rehash) db.prepare('UPDATE audit_records SET leaf_hash = ? WHERE idx = ?').run(leafHash(Buffer.from(next)), index);
      });
    },
    // A record is a body row (audit_records) and its searchable row (audit_fields): move both.
    async deleteRecord(index) {
      withRaw((db) => {
        for (const t of ['audit_records', 'audit_fields']) db.prepare(`DELETE FROM ${t} WHERE idx = ?`).run(index);
      });
    },
    async deleteCheckpoints(fromSize = 0) {
      withRaw((db) => db.prepare('DELETE FROM audit_checkpoints WHERE size >= ?').run(fromSize));
    },
    async plantNode(level, index) {
      withRaw((db) => db.prepare('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, zeroblob(32))').run(level, index));
    },
    async exec(sql) {
      withRaw((db) => db.exec(sql));
    },
    async copyRecord(from, to) {
      withRaw((db) => {
        for (const t of ['audit_records', 'audit_fields']) {
          const cols = (db.prepare(`SELECT name FROM pragma_table_info('${t}')`).all() as { name: string }[]).map((c) => c.name).filter((c) => c !== 'idx');
          db.prepare(`INSERT INTO ${t} (idx, ${cols.join(', ')}) SELECT ?, ${cols.join(', ')} FROM ${t} WHERE idx = ?`).run(to, from);
        }
      });
    },
    async swap(a, b) {
      withRaw((db) => {
        for (const t of ['audit_records', 'audit_fields']) {
          db.prepare(`UPDATE ${t} SET idx = -1 WHERE idx = ?`).run(a);
          db.prepare(`UPDATE ${t} SET idx = ? WHERE idx = ?`).run(a, b);
          db.prepare(`UPDATE ${t} SET idx = ? WHERE idx = -1`).run(b);
        }
      });
    },
  };
}
