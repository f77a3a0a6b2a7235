import { openSqlite, type SqliteDatabase, type SqliteMigration } from '../../core/sqlite/index.js';

/**
 * What the key inventory saw on the bus, per key id (hex SPKI SHA-256, or `identity:<issuer>|<san>`
 * for keyless identities): the latest signature time, and revocations. One SQLite file, so it
 * survives restarts and `chainwatch keys list` can read it while the daemon runs.
 */
const MIGRATIONS: readonly SqliteMigration[] = [
  {
    name: 'key inventory sightings and revocations',
    up: `CREATE TABLE IF NOT EXISTS seen (
           id TEXT PRIMARY KEY, last_seen TEXT NOT NULL, event_type TEXT NOT NULL, event_id TEXT NOT NULL, subject TEXT);
         CREATE TABLE IF NOT EXISTS revoked (
           id TEXT PRIMARY KEY, revoked_at TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, event_id TEXT NOT NULL);`,
  },
  {
    name: 'last published rotation schedule',
    up: `CREATE TABLE IF NOT EXISTS published (name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);`,
  },
];

export interface Sighting {
  id: string;
  lastSeen: string;
  eventType: string;
  eventId: string;
  subject?: string;
}

export interface Revocation {
  id: string;
  revokedAt: string;
  reason: string;
  actor: string;
  eventId: string;
}

export class InventoryStore {
  private constructor(private readonly db: SqliteDatabase) {}

  static open(path: string): InventoryStore {
    return new InventoryStore(openSqlite(path, { durability: 'process-crash', migrations: MIGRATIONS }));
  }

  static openReadonly(path: string): InventoryStore {
    return new InventoryStore(openSqlite(path, { durability: 'process-crash', migrations: MIGRATIONS, readonly: true }));
  }

  /** Keeps the latest time per id: a redelivered or older event never moves it back. */
  saw(s: Sighting): void {
    this.db
      .prepare(
        `INSERT INTO seen (id, last_seen, event_type, event_id, subject) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, event_type = excluded.event_type,
           event_id = excluded.event_id, subject = excluded.subject WHERE excluded.last_seen > seen.last_seen`,
      )
      .run(s.id, s.lastSeen, s.eventType, s.eventId, s.subject ?? null);
  }

  /** The earliest revocation wins: a later one of the same key does not move its time. */
  revoke(r: Revocation): void {
    this.db
      .prepare(
        `INSERT INTO revoked (id, revoked_at, reason, actor, event_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET revoked_at = excluded.revoked_at, reason = excluded.reason, actor = excluded.actor,
           event_id = excluded.event_id WHERE excluded.revoked_at < revoked.revoked_at`,
      )
      .run(r.id, r.revokedAt, r.reason, r.actor, r.eventId);
  }

  sightings(): Map<string, Sighting> {
    const rows = this.db.prepare('SELECT id, last_seen, event_type, event_id, subject FROM seen').all() as {
      id: string;
      last_seen: string;
      event_type: string;
      event_id: string;
      subject: string | null;
    }[];
    return new Map(
      rows.map((r) => [r.id, { id: r.id, lastSeen: r.last_seen, eventType: r.event_type, eventId: r.event_id, ...(r.subject ? { subject: r.subject } : {}) }]),
    );
  }

  revocations(): Map<string, Revocation> {
    const rows = this.db.prepare('SELECT id, revoked_at, reason, actor, event_id FROM revoked').all() as {
      id: string;
      revoked_at: string;
      reason: string;
      actor: string;
      event_id: string;
    }[];
    return new Map(rows.map((r) => [r.id, { id: r.id, revokedAt: r.revoked_at, reason: r.reason, actor: r.actor, eventId: r.event_id }]));
  }

  /** The fingerprint of the last snapshot `name` published (durably), if any. */
  published(name: string): string | undefined {
    return (this.db.prepare('SELECT fingerprint FROM published WHERE name = ?').get(name) as { fingerprint: string } | undefined)?.fingerprint;
  }

  markPublished(name: string, fingerprint: string): void {
    this.db
      .prepare('INSERT INTO published (name, fingerprint) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint')
      .run(name, fingerprint);
  }

  close(): void {
    this.db.close();
  }
}
