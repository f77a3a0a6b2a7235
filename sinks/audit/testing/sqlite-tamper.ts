import Database from 'better-sqlite3';
import { canonicalJson } from '../../../core/index.js';
import { leafHash } from '../../../core/tlog/index.js';
import type { Tamperer } from './contract.js';

/**
 * What someone with write access to the database file can do: open it with a plain SQLite
 * connection, drop the append-only triggers, change rows, and put the triggers back.
 */
export function sqliteTamperer(path: string): Tamperer {
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
