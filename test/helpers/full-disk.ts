/** Reading back what the daemon did during a full-disk drill (test/daemon/full-disk*.test.ts). */
import Database from 'better-sqlite3';
import { runCli } from './daemon-process.js';

export interface Tailed {
  headers: Record<string, string>;
  event: { id: string; type: string; data: Record<string, unknown> };
}

/** Every record of `topic` so far, through the CLI (`events tail --from-beginning`). */
export async function tail(topic: string, args: string[]): Promise<Tailed[]> {
  const r = await runCli(['events', 'tail', topic, '--from-beginning', '--timeout', '2', ...args]);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Tailed);
}

/** The storage.full findings among tailed records, as finding data. */
export const storageFindings = (rows: Tailed[]): Record<string, unknown>[] => rows.map((r) => r.event.data).filter((d) => d.rule === 'storage.full');

/** The stores named by storage.full findings of one status, sorted. */
export const storesOf = (rows: Tailed[], status: 'firing' | 'resolved'): string[] =>
  [
    ...new Set(
      storageFindings(rows)
        .filter((f) => f.status === status)
        .map((f) => (f.evidence as { store: string }).store),
    ),
  ].sort();

/** SQLite's own verdict on a database file ("ok"). */
export function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** The `storage` entries of a /readyz answer. */
export async function readyStorage(url: string): Promise<{ status: number; storage: { store: string; path: string; code: string }[] }> {
  const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
  const body = (await r.json()) as { checks: { storage?: { store: string; path: string; code: string }[] } };
  return { status: r.status, storage: body.checks.storage ?? [] };
}
