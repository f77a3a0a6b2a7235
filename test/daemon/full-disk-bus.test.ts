/**
 * The full-disk drill for the embedded bus and the state store kept in it (issue 8 item 7): the
 * whole data directory on a real full disk (a tmpfs filled to the last byte) while the daemon
 * runs and its components publish (the log-integrity detector turns tlog anomalies into findings
 * and remembers open conditions in the state store; the audit sink and the alert pipeline write
 * too). Nothing is dead-lettered, dropped or half-written; /readyz names the bus; the storage.full
 * finding cannot reach the full bus, so the log line and the metric come at once and the finding
 * follows once space returns, firing then resolved.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { built, httpStatus, metricValue, runCli, startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { integrity, readyStorage, startDrill, storesOf, tail } from '../helpers/full-disk.js';

/** A log-unreachable observation of one log: an infrastructure finding and an open condition in the state store. */
function anomaly(seq: number): string {
  return JSON.stringify({
    specversion: '1.0',
    id: `disk-anomaly-${seq}`,
    source: 'urn:test',
    type: 'dev.chainwatch.tlog.anomaly.v1',
    subject: `disk-log-${seq}`,
    data: {
      origin: `disk-log-${seq}`,
      url: `https://log-${seq}.example`,
      kind: 'unreachable',
      code: 'HTTP_UNREACHABLE',
      message: 'connection refused',
      observedAt: new Date().toISOString(),
    },
  });
}

describe.skipIf(!built())('the embedded bus and the state store on a full disk', () => {
  it('pause the daemon publishing, say not ready naming the bus, log and count at once, and publish storage.full once space returns', async () => {
    const drill = await startDrill('bus', { sections: ['detectors:', '  logIntegrity: {}'] });
    if (!drill) return;
    const { disk, dataDir, cli, received } = drill;
    let d: DaemonProcess | undefined;
    try {
      d = await startDaemon(cli);
      const daemon = d;
      await vi.waitFor(async () => expect(await httpStatus(`${daemon.url}/readyz`)).toBe(200), { timeout: 30_000, interval: 100 });

      // The observations reach the bus while it has room (the daemon held still meanwhile, so
      // nothing is handled yet); then the disk fills and the daemon has to publish onto it.
      const n = 8;
      const lines = Array.from({ length: n }, (_, i) => anomaly(i));
      daemon.child.kill('SIGSTOP');
      try {
        expect((await runCli(['events', 'publish', 'tlog', ...cli], lines.join('\n'))).code).toBe(0);
        disk.fill();
      } finally {
        daemon.child.kill('SIGCONT');
      }

      await vi.waitFor(
        async () => {
          const { status, storage } = await readyStorage(daemon.url);
          expect(status).toBe(503);
          const bus = storage.find((s) => s.store === 'bus');
          expect(bus?.path).toBe(join(dataDir, 'bus.db'));
          expect(bus?.code).toMatch(/^(SQLITE_FULL|SQLITE_IOERR|ENOSPC)/);
        },
        { timeout: 30_000, interval: 200 },
      );
      expect(await metricValue(daemon.url, 'chainwatch_storage_write_failing', { store: 'bus' })).toBe(1);
      expect(daemon.stdout() + daemon.stderr()).toMatch(/storage full or failing: bus cannot write/);
      // Held, not lost and not dead-lettered: nothing reached the receiver while the bus was full.
      await new Promise((r) => setTimeout(r, 2000));
      expect(received.filter((r) => r.dedupKey.includes('disk-log-'))).toEqual([]);

      disk.free();
      await vi.waitFor(
        () => {
          const logs = received.filter((r) => r.action === 'trigger' && r.dedupKey.includes('disk-log-')).map((r) => /disk-log-\d+/.exec(r.dedupKey)![0]);
          expect(logs.sort()).toEqual(lines.map((_, i) => `disk-log-${i}`).sort());
        },
        { timeout: 60_000, interval: 200 },
      );
      await vi.waitFor(async () => expect(await httpStatus(`${daemon.url}/readyz`)).toBe(200), { timeout: 30_000, interval: 200 });
      // The finding the full bus could not take at the time: published once it accepted, then resolved.
      await vi.waitFor(
        async () => {
          const findings = await tail('chainwatch.findings', cli);
          expect(storesOf(findings, 'firing')).toContain('bus');
          expect(storesOf(findings, 'resolved')).toEqual(storesOf(findings, 'firing'));
        },
        { timeout: 30_000, interval: 500 },
      );
      expect(await metricValue(daemon.url, 'chainwatch_storage_write_failing', { store: 'bus' })).toBe(0);
      for (const dlq of ['chainwatch.tlog.dlq', 'chainwatch.findings.dlq', 'chainwatch.system.dlq']) expect(await tail(dlq, cli)).toEqual([]);
      // Each anomaly gave exactly one finding on the bus (no duplicate from a retried publish).
      const fromAnomalies = (await tail('chainwatch.findings', cli)).filter(
        (r) => typeof r.event.data.subject === 'string' && r.event.data.subject.startsWith('disk-log-'),
      );
      expect(fromAnomalies.map((r) => r.event.data.subject).sort()).toEqual(lines.map((_, i) => `disk-log-${i}`).sort());
      const ids = received.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);

      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
      d = undefined;
      for (const f of ['bus.db', 'alerts.sqlite', join('audit', 'audit.db')]) expect(integrity(join(dataDir, f)), f).toBe('ok');
      // The open conditions the detector keeps in the state store (bus.db) were all written.
      const bus = new Database(join(dataDir, 'bus.db'), { readonly: true });
      try {
        const keys = bus.prepare('SELECT key FROM state').pluck().all() as string[];
        for (let i = 0; i < n; i++)
          expect(
            keys.some((k) => k.includes(`disk-log-${i}`)),
            `state of disk-log-${i}`,
          ).toBe(true);
      } finally {
        bus.close();
      }
      const verify = await runCli(['audit', 'verify', ...cli]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    } finally {
      await drill.end(d);
    }
  }, 240_000);
});
