import { openSqlite, type SqliteDatabase, type SqliteMigration } from '../../core/sqlite/index.js';

/**
 * The certificate inventory: what chainwatch knows expires, where it was found, and which expiry
 * thresholds already fired. One SQLite file (core/sqlite), so it survives restarts and
 * `chainwatch certs list` can read it while the daemon runs.
 *
 * An item lives in a slot: the place it was found (a file, a TLS endpoint, a trusted root entry,
 * a CT name set). A scan replaces a slot's items as a whole; an item id (certificate SHA-256, CT
 * identity, window id) found in no slot any more has been renewed or removed. Fired thresholds
 * are per item id, so a certificate found in two places is one finding per threshold.
 */
/**
 * `serving`: the daemon's own HTTPS serving certificate (http.tls.cert); `keys`: rotation dates of
 * the key inventory (keys.rotation_schedule events: configured dates, HSM keys' CKA_END_DATE).
 */
export const SOURCES = ['ct', 'file', 'tls', 'trusted-root', 'tuf', 'serving', 'keys'] as const;
export type Source = (typeof SOURCES)[number];

export interface Item {
  source: Source;
  slot: string;
  id: string;
  /** Human name: subject and names, or the window's service. */
  label: string;
  /** `key`: a signing key whose notAfter is its rotation date. */
  kind: 'certificate' | 'window' | 'metadata' | 'key';
  notBefore?: string;
  notAfter: string;
  detail: Record<string, unknown>;
}

export interface Fired {
  id: string;
  within: number;
  severity: string;
  dedupKey: string;
  /** The item as it was when the threshold fired (for the resolved finding). */
  item: Item;
}

const MIGRATIONS: readonly SqliteMigration[] = [
  {
    name: 'certificate inventory',
    up: `CREATE TABLE IF NOT EXISTS items (
           source TEXT NOT NULL, slot TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,
           not_before TEXT, not_after TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (source, slot, id));
         CREATE INDEX IF NOT EXISTS items_id ON items (id);
         CREATE INDEX IF NOT EXISTS items_not_after ON items (not_after);
         CREATE TABLE IF NOT EXISTS fired (
           id TEXT NOT NULL, within_ms INTEGER NOT NULL, severity TEXT NOT NULL, dedup_key TEXT NOT NULL, item TEXT NOT NULL,
           PRIMARY KEY (id, within_ms));`,
  },
];

interface Row {
  source: Source;
  slot: string;
  id: string;
  kind: Item['kind'];
  label: string;
  not_before: string | null;
  not_after: string;
  detail: string;
}
const toItem = (r: Row): Item => ({
  source: r.source,
  slot: r.slot,
  id: r.id,
  kind: r.kind,
  label: r.label,
  ...(r.not_before !== null ? { notBefore: r.not_before } : {}),
  notAfter: r.not_after,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
});

export class Inventory {
  private constructor(private readonly db: SqliteDatabase) {}

  /** Opens (creating) the inventory for the detector. */
  static open(path: string): Inventory {
    return new Inventory(openSqlite(path, { durability: 'process-crash', migrations: MIGRATIONS }));
  }
  /** Opens an existing inventory without writing (certs list). */
  static openReadonly(path: string): Inventory {
    return new Inventory(openSqlite(path, { durability: 'process-crash', migrations: MIGRATIONS, readonly: true }));
  }

  all(): Item[] {
    return (this.db.prepare('SELECT * FROM items ORDER BY not_after, id').all() as Row[]).map(toItem);
  }
  slot(source: Source, slot: string): Item[] {
    return (this.db.prepare('SELECT * FROM items WHERE source = ? AND slot = ?').all(source, slot) as Row[]).map(toItem);
  }
  slots(source: Source): string[] {
    return (this.db.prepare('SELECT DISTINCT slot FROM items WHERE source = ?').all(source) as { slot: string }[]).map((r) => r.slot);
  }
  /** Ids among `ids` that no slot other than (source, slot) holds. */
  orphansAfter(source: Source, slot: string, ids: readonly string[]): string[] {
    const q = this.db.prepare('SELECT 1 FROM items WHERE id = ? AND NOT (source = ? AND slot = ?) LIMIT 1');
    return ids.filter((id) => q.get(id, source, slot) === undefined);
  }

  /** Replaces the slot's items and forgets the `resolved` fired thresholds, in one transaction. */
  replaceSlot(source: Source, slot: string, items: readonly Item[], resolved: readonly Pick<Fired, 'id' | 'within'>[]): void {
    const del = this.db.prepare('DELETE FROM items WHERE source = ? AND slot = ?');
    const ins = this.db.prepare('INSERT OR REPLACE INTO items (source, slot, id, kind, label, not_before, not_after, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const unfire = this.db.prepare('DELETE FROM fired WHERE id = ? AND within_ms = ?');
    this.db.transaction(() => {
      del.run(source, slot);
      for (const i of items) ins.run(source, slot, i.id, i.kind, i.label, i.notBefore ?? null, i.notAfter, JSON.stringify(i.detail));
      for (const f of resolved) unfire.run(f.id, f.within);
    })();
  }

  fired(id?: string): Fired[] {
    const rows = (
      id === undefined
        ? this.db.prepare('SELECT * FROM fired ORDER BY id, within_ms DESC').all()
        : this.db.prepare('SELECT * FROM fired WHERE id = ? ORDER BY within_ms DESC').all(id)
    ) as {
      id: string;
      within_ms: number;
      severity: string;
      dedup_key: string;
      item: string;
    }[];
    return rows.map((r) => ({ id: r.id, within: r.within_ms, severity: r.severity, dedupKey: r.dedup_key, item: JSON.parse(r.item) as Item }));
  }

  markFired(rows: readonly Fired[]): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO fired (id, within_ms, severity, dedup_key, item) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const f of rows) ins.run(f.id, f.within, f.severity, f.dedupKey, JSON.stringify(f.item));
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
