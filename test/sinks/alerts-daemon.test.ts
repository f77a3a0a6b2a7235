/**
 * The alert pipeline wired by the daemon from config: a finding published to the bus reaches a
 * signed webhook once per dedup window with a link to its audit record; a resolve follows; a
 * receiver that rejects lands the notification in the dead letters, which the CLI lists and replays.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { startRecordingServer } from '../../core/testing/index.js';
import { verifyWebhookSignature } from '../../sinks/webhook/index.js';
import { built, runCli, startDaemon } from '../helpers/daemon-process.js';

const SECRET = 'whsec-test-secret-value';

function finding(seq: number, status: 'firing' | 'resolved' = 'firing') {
  return JSON.stringify({
    specversion: '1.0',
    id: `finding-${seq}-${status}`,
    source: 'urn:test',
    type: 'dev.chainwatch.finding.v1',
    subject: 'rekor.example - 42',
    data: {
      findingId: `f-${seq}-${status}`,
      rule: 'tlog.consistency_failed',
      detector: 'log-integrity',
      severity: 'critical',
      category: 'security',
      status,
      dedupKey: 'tlog.consistency_failed:rekor.example',
      summary: 'Log rekor.example failed a consistency proof',
      subject: 'rekor.example - 42',
      evidence: { fromSize: 10, toSize: 12 },
      observedAt: new Date().toISOString(),
    },
  });
}

describe.skipIf(!built())('alerts wired by the daemon', () => {
  it('delivers, dedups, resolves, and dead-letters then replays through the CLI', async () => {
    const received: { body: Record<string, unknown>; ok: boolean }[] = [];
    let reject = false;
    const server = await startRecordingServer((req) => {
      received.push({ body: req.json as Record<string, unknown>, ok: verifyWebhookSignature(req.body, req.headers, SECRET, 300).ok });
      return { status: reject ? 400 : 200 };
    });
    const dir = mkdtempSync(join(tmpdir(), 'cw-alerts-'));
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(join(dir, 'hmac'), SECRET);
    writeFileSync(
      cfg,
      `http:\n  publicUrl: http://chainwatch.test:8080\nsinks:\n  alerts:\n    dedupWindow: 1h\n    sweepInterval: 200ms\n    delivery:\n      maxAttempts: 2\n      baseDelay: 50ms\n      maxDelay: 100ms\n      pollInterval: 100ms\n    receivers:\n      - name: soc-hook\n        kind: webhook\n        webhookUrl: ${server.url}/hook\n        secret: { file: ${join(dir, 'hmac')} }\n`,
    );
    const d = await startDaemon(['--config', cfg, '--data-dir', dir]);
    try {
      expect((await runCli(['events', 'publish', 'findings', '--data-dir', dir], [finding(1), finding(2), finding(3)].join('\n'))).code).toBe(0);
      await vi.waitFor(() => expect(received.length >= 1, 'first notification').toBe(true), { timeout: 30_000, interval: 100 });
      await new Promise((r) => setTimeout(r, 1000));
      expect(received).toHaveLength(1); // three occurrences, one dedup key: one page
      expect(received[0]!.ok).toBe(true);
      expect(received[0]!.body.action).toBe('trigger');
      expect(String(received[0]!.body.auditUrl)).toBe('http://chainwatch.test:8080/audit/records/f-1-firing');
      expect(d.stdout() + d.stderr()).not.toContain(SECRET);

      expect((await runCli(['events', 'publish', 'findings', '--data-dir', dir], finding(4, 'resolved'))).code).toBe(0);
      await vi.waitFor(
        () =>
          expect(
            received.some((r) => r.body.action === 'resolve'),
            'resolve',
          ).toBe(true),
        { timeout: 30_000, interval: 100 },
      );

      reject = true;
      const next = JSON.parse(finding(5)) as { data: { dedupKey: string } };
      next.data.dedupKey = 'another-key';
      expect((await runCli(['events', 'publish', 'findings', '--data-dir', dir], JSON.stringify(next))).code).toBe(0);
      let listed = '';
      await vi.waitFor(
        async () => {
          const l = await runCli(['sinks', 'dead-letters', 'list', '--json', '--config', cfg, '--data-dir', dir]);
          listed = l.stdout;
          expect(l.code === 0 && listed.includes('another-key'), 'dead letter').toBe(true);
        },
        { timeout: 30_000, interval: 100 },
      );
      reject = false;
      const before = received.length;
      const replay = await runCli(['sinks', 'dead-letters', 'replay', '--all', '--config', cfg, '--data-dir', dir]);
      expect(replay.code).toBe(0);
      await vi.waitFor(
        () =>
          expect(
            received.slice(before).some((r) => r.body.dedupKey === 'another-key'),
            'replayed delivery',
          ).toBe(true),
        { timeout: 30_000, interval: 100 },
      );

      // Every delivery and every give-up is in the audit trail, as a delivery record.
      let outcomes: string[] = [];
      await vi.waitFor(
        async () => {
          const q = await runCli(['audit', 'query', '--kind', 'delivery', '--json', '--data-dir', dir]);
          expect(q.code, 'audit query').toBe(0);
          outcomes = (JSON.parse(q.stdout) as { records: { payload: { data: { outcome: string; sink: string } } }[] }).records.map(
            (r) => r.payload.data.outcome,
          );
          expect(outcomes.filter((o) => o === 'delivered').length, 'delivery records in the audit trail').toBeGreaterThanOrEqual(3);
        },
        { timeout: 30_000, interval: 100 },
      );
      expect(outcomes).toContain('dead_lettered');
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
      await server.stop();
    }
  });
});
