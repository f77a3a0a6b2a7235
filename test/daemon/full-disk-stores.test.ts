/**
 * The full-disk drill for the stores a bus handler writes (issue 8 item 7): the alert outbox and
 * the audit trail on a real full disk (a tmpfs filled to the last byte) while the daemon process
 * runs and the bus is healthy. Nothing half-written, nothing dead-lettered or dropped, /readyz
 * not ready naming the store, an infrastructure finding (storage.full) at once, and after space
 * returns everything processed once and the finding resolved. The bus and the state store on a
 * full disk: full-disk-bus.test.ts.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { built, httpStatus, metricValue, runCli, startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { integrity, readyStorage, startDrill, storageFindings, storesOf, tail } from '../helpers/full-disk.js';

/** A security finding of ~20 KB (the description), so every ingest needs new pages. */
function finding(seq: number): string {
  return JSON.stringify({
    specversion: '1.0',
    id: `disk-finding-${seq}`,
    source: 'urn:test',
    type: 'dev.chainwatch.finding.v1',
    subject: `artifact-${seq}`,
    data: {
      findingId: `disk-f-${seq}`,
      rule: 'tlog.consistency_failed',
      detector: 'log-integrity',
      severity: 'critical',
      category: 'security',
      dedupKey: `disk-key-${seq}`,
      summary: `finding ${seq}`,
      description: 'd'.repeat(19_000),
      subject: `artifact-${seq}`,
      observedAt: new Date().toISOString(),
    },
  });
}

describe.skipIf(!built())('the alert outbox and the audit trail on a full disk', () => {
  it('pause without dead-lettering, say not ready naming the store, raise storage.full, and catch up exactly once when space returns', async () => {
    // The bus lives on a healthy disk: this drill is about the stores a handler writes, and a
    // healthy bus is where a wrongly classified failure would be dead-lettered.
    const drill = await startDrill('stores', { embedded: (root) => [`    path: ${join(root, 'bus.db')}`], sinks: ['  audit:', '    checkpointEvery: 10'] });
    if (!drill) return;
    const { disk, dataDir, cli, received } = drill;
    let d: DaemonProcess | undefined;
    try {
      d = await startDaemon(cli);
      const url = d.url;
      await vi.waitFor(async () => expect(await httpStatus(`${url}/readyz`)).toBe(200), { timeout: 30_000, interval: 100 });

      disk.fill();
      const n = 12;
      const lines = Array.from({ length: n }, (_, i) => finding(i));
      expect((await runCli(['events', 'publish', 'findings', ...cli], lines.join('\n'))).code).toBe(0);

      // Not ready, naming each store and the disk-full cause; a metric and a log line at once.
      await vi.waitFor(
        async () => {
          const { status, storage } = await readyStorage(url);
          expect(status).toBe(503);
          expect(storage.map((s) => s.store).sort()).toEqual(['alerts', 'audit']);
          for (const s of storage) {
            expect(s.code).toMatch(/^(SQLITE_FULL|SQLITE_IOERR|ENOSPC)/);
            expect(s.path.startsWith(dataDir)).toBe(true);
          }
        },
        { timeout: 30_000, interval: 200 },
      );
      expect(await metricValue(url, 'chainwatch_storage_write_failing', { store: 'alerts' })).toBe(1);
      expect(await metricValue(url, 'chainwatch_storage_write_failing', { store: 'audit' })).toBe(1);
      expect(d.stdout() + d.stderr()).toMatch(/storage full/);
      // The infrastructure finding reached the (healthy) bus at once, naming store and path.
      await vi.waitFor(
        async () => {
          const open = storageFindings(await tail('chainwatch.findings', cli)).filter((f) => f.status === 'firing');
          expect(open.map((f) => (f.evidence as { store: string }).store).sort()).toEqual(['alerts', 'audit']);
          for (const f of open) {
            expect(f.category).toBe('infrastructure');
            expect(String((f.evidence as { path: string }).path).startsWith(dataDir)).toBe(true);
          }
        },
        { timeout: 30_000, interval: 500 },
      );
      // Longer than every retry budget (handler 2 attempts, audit append 60 s deadline is not
      // waited out here: the alert handler alone would have dead-lettered within a second).
      await new Promise((r) => setTimeout(r, 3000));
      expect(await tail('chainwatch.findings.dlq', cli)).toEqual([]);
      expect(received).toEqual([]);

      disk.free();
      // Everything accepted is processed once: one page per finding, the storage findings resolve.
      await vi.waitFor(
        () => {
          const keys = received.filter((r) => r.action === 'trigger' && r.dedupKey.startsWith('disk-key-')).map((r) => r.dedupKey);
          expect(keys.sort()).toEqual(lines.map((_, i) => `disk-key-${i}`).sort());
        },
        { timeout: 60_000, interval: 200 },
      );
      await vi.waitFor(async () => expect(await httpStatus(`${url}/readyz`)).toBe(200), { timeout: 30_000, interval: 200 });
      await vi.waitFor(
        async () => {
          expect(storesOf(await tail('chainwatch.findings', cli), 'resolved')).toEqual(['alerts', 'audit']);
        },
        { timeout: 30_000, interval: 500 },
      );
      expect(await metricValue(url, 'chainwatch_storage_write_failing', { store: 'alerts' })).toBe(0);
      expect(await tail('chainwatch.findings.dlq', cli)).toEqual([]);
      expect(await tail('chainwatch.system.dlq', cli)).toEqual([]);
      // No notification twice (receivers dedup by id, but the pipeline should not need them to).
      const ids = received.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);

      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
      d = undefined;
      expect(integrity(join(dataDir, 'alerts.sqlite'))).toBe('ok');
      expect(integrity(join(dataDir, 'audit', 'audit.db'))).toBe('ok');
      const alerts = new Database(join(dataDir, 'alerts.sqlite'), { readonly: true });
      try {
        expect(alerts.prepare('SELECT count(*) FROM dead_letters').pluck().get()).toBe(0);
        expect(alerts.prepare("SELECT count(*) FROM outbox WHERE status = 'pending'").pluck().get()).toBe(0);
      } finally {
        alerts.close();
      }
      // Every finding is in the audit trail exactly once, and the trail verifies.
      const audit = new Database(join(dataDir, 'audit', 'audit.db'), { readonly: true });
      try {
        const ids = audit.prepare("SELECT id FROM audit_fields WHERE id LIKE 'disk-f-%'").pluck().all() as string[];
        expect(ids.sort()).toEqual(lines.map((_, i) => `disk-f-${i}`).sort());
      } finally {
        audit.close();
      }
      const verify = await runCli(['audit', 'verify', ...cli]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    } finally {
      await drill.end(d);
    }
  }, 240_000);
});
