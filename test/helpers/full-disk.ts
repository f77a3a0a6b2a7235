/** Setting up a full-disk drill and reading back what the daemon did (test/daemon/full-disk*.test.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startRecordingServer } from '../../core/testing/index.js';
import { type DaemonProcess, runCli } from './daemon-process.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';

/** What the drill's webhook receiver got, per notification. */
export interface Received {
  dedupKey: string;
  action: string;
  id: string;
}

export interface Drill {
  disk: Tmpfs;
  /** On the tmpfs. */
  dataDir: string;
  /** --config and --data-dir, for startDaemon and runCli. */
  cli: string[];
  received: Received[];
  /** Stops the daemon if it still runs (SIGCONT first: a drill may have stopped it), the receiver, and removes disk and config. */
  end(d: DaemonProcess | undefined): Promise<void>;
}

/**
 * The set-up every full-disk drill shares: a 16 MiB tmpfs holding the data directory, a webhook
 * receiver recording every notification, and a config with the embedded bus and the alert
 * pipeline delivering to the receiver. `embedded`, `sections` (top level, before sinks) and
 * `sinks` add YAML lines. Undefined, after a warning saying why, when no tmpfs can be mounted.
 */
export async function startDrill(
  name: string,
  extra: { embedded?: (root: string) => string[]; sections?: string[]; sinks?: string[] } = {},
): Promise<Drill | undefined> {
  const disk = mountTmpfs(16 * 1024 * 1024);
  if (typeof disk === 'string') {
    console.warn(disk);
    return undefined;
  }
  const received: Received[] = [];
  const server = await startRecordingServer((req) => {
    const b = req.json as Received;
    received.push({ dedupKey: b.dedupKey, action: b.action, id: b.id });
    return { status: 200 };
  });
  const root = mkdtempSync(join(tmpdir(), `cw-fulldisk-${name}-`));
  const dataDir = join(disk.dir, 'data');
  const config = join(root, 'chainwatch.yaml');
  writeFileSync(
    config,
    [
      'bus:',
      '  kind: embedded',
      '  embedded:',
      ...(extra.embedded?.(root) ?? []),
      '    pollInterval: 50ms',
      // Fast give-up: a failure classified as anything but infrastructure dead-letters in < 1 s.
      '    handlerRetry: { maxAttempts: 2, baseDelay: 50ms, maxDelay: 100ms }',
      ...(extra.sections ?? []),
      'sinks:',
      '  alerts:',
      '    sweepInterval: 200ms',
      '    delivery: { maxAttempts: 3, baseDelay: 50ms, maxDelay: 100ms, pollInterval: 100ms }',
      '    receivers:',
      '      - name: hook',
      '        kind: webhook',
      `        webhookUrl: ${server.url}/hook`,
      ...(extra.sinks ?? []),
      'shutdown:',
      '  deadline: 10s',
      '',
    ].join('\n'),
  );
  return {
    disk,
    dataDir,
    cli: ['--config', config, '--data-dir', dataDir],
    received,
    end: async (d) => {
      if (d) {
        d.child.kill('SIGCONT');
        d.child.kill('SIGTERM');
        await d.exited;
      }
      await server.stop();
      disk.remove();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

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
