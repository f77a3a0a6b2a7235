/**
 * The audit trail end to end with the real daemon and CLI processes: events the daemon consumed
 * are queryable, provable over HTTP, notes are audited, and tampering with the SQLite store makes
 * `chainwatch audit verify` exit 1 naming the record.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { sqliteTamperer } from '../../sinks/audit/testing/index.js';
import { built, runCli, startDaemon } from '../helpers/daemon-process.js';

const ev = (seq: number) =>
  JSON.stringify({
    specversion: '1.0',
    id: `audit-e2e-${seq}`,
    source: 'urn:e2e',
    type: 'dev.chainwatch.system.probe.v1',
    subject: `subj-${seq}`,
    data: { seq },
  });

describe.skipIf(!built())('audit trail through the daemon and CLI', () => {
  it('records, proves, annotates, verifies, and names a tampered record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-audit-e2e-'));
    // The record route needs a token unless the trail is declared public (sinks.audit.api).
    const d = await startDaemon(['--data-dir', dir], { CHAINWATCH_SINKS__AUDIT__API__PUBLIC: 'true' });
    try {
      const pub = await runCli(['events', 'publish', 'system', '--data-dir', dir], [1, 2, 3, 4, 5].map(ev).join('\n'));
      expect(pub.code).toBe(0);
      await vi.waitFor(
        async () => {
          const q = await runCli(['audit', 'query', '--type', 'dev.chainwatch.system.probe.v1', '--json', '--data-dir', dir]);
          expect(q.code === 0 && (JSON.parse(q.stdout) as { records: unknown[] }).records.length === 5, 'five audited events').toBe(true);
        },
        { timeout: 60_000, interval: 100 },
      );

      const note = await runCli(['audit', 'note', 'release 1.2.3 signature reviewed', '--subject', 'subj-3', '--data-dir', dir]);
      expect(note.code).toBe(0);
      const bySubject = await runCli(['audit', 'query', '--subject', 'subj-3', '--json', '--data-dir', dir]);
      const kinds = (JSON.parse(bySubject.stdout) as { records: { kind: string }[] }).records.map((r) => r.kind).sort();
      expect(kinds).toEqual(['event', 'operator']);
      const csv = await runCli(['audit', 'query', '--csv', '--data-dir', dir]);
      expect(csv.stdout.split('\n')[0]).toMatch(/index/);

      expect((await runCli(['audit', 'checkpoint', '--data-dir', dir])).code).toBe(0);
      const http = await fetch(`${d.url}/audit/records/audit-e2e-2`);
      expect(http.status).toBe(200);
      const proof = (await http.json()) as { record: { id: string } };
      expect(proof.record.id).toBe('audit-e2e-2');
      expect((await fetch(`${d.url}/audit/records/no-such-record`)).status).toBe(404);
      const cliProof = await runCli(['audit', 'proof', 'audit-e2e-2', '--data-dir', dir]);
      expect(cliProof.code).toBe(0);

      const ok = await runCli(['audit', 'verify', '--data-dir', dir]);
      expect(ok.code).toBe(0);

      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
      await sqliteTamperer(join(dir, 'audit', 'audit.db')).editBody(2, (b) => ((b.payload as { data: { seq: number } }).data.seq = 999), false);
      const bad = await runCli(['audit', 'verify', '--json', '--data-dir', dir]);
      expect(bad.code).toBe(1);
      expect(bad.stdout + bad.stderr).toMatch(/"index":\s*2|record 2\b/);
    } finally {
      d.child.kill('SIGKILL');
    }
  });
});
