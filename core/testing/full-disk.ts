import Database from 'better-sqlite3';
import type { StorageMonitor } from '../ports/storage.js';

/**
 * A full disk as SQLite reports it, without a disk: `PRAGMA max_page_count` caps the database at
 * its current size, so the next write that needs a new page fails with a real SQLITE_FULL
 * (rolled back, as on a full disk). `uncap` gives the space back. The real-disk drills (a tmpfs
 * filled to the last byte) are in test/daemon/full-disk*.test.ts.
 */
export function capPages(db: Database.Database): { uncap(): void } {
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  return { uncap: () => void db.pragma('max_page_count = 1073741823') };
}

/** A real better-sqlite3 SqliteError with code SQLITE_FULL. */
export function sqliteFullError(): unknown {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE t (v BLOB)');
    capPages(db);
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(64 * 1024));
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error('expected SQLITE_FULL');
}

/** A StorageMonitor that records what it is told, in order ("failing alerts SQLITE_FULL", "ok alerts"). */
export class RecordingStorageMonitor implements StorageMonitor {
  readonly events: string[] = [];
  failing(store: string, _path: string, err: unknown): void {
    this.events.push(`failing ${store} ${(err as { code?: string }).code ?? '?'}`);
  }
  ok(store: string): void {
    if (this.events.at(-1) !== `ok ${store}`) this.events.push(`ok ${store}`);
  }
}
