/**
 * The key-misuse detector in the real daemon process on the embedded bus: artifact.verified events
 * from a producer, a revocation through the real `chainwatch keys revoke` CLI process (keyId
 * computed from a REAL Fulcio certificate file), findings read from the journal sink. Exactly one
 * critical key.revoked_use for the later use, none for the earlier one; the revocation survives a
 * daemon restart.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import type { Finding } from '../../core/index.js';
import { realdata } from '../../core/testing/index.js';
import { artifactEvent, certSigner, CERTS, within } from '../../detectors/key-misuse/testing/index.js';
import { built, httpStatus, journalEvents, runCli, startDaemon } from '../helpers/daemon-process.js';

const rd = realdata();
const D = (c: string) => `sha256:${c.repeat(64)}`;

const findings = (journal: string): Finding[] => journalEvents<Finding>(journal, 'dev.chainwatch.finding.v1');
const revokedUses = (journal: string) => {
  const byId = new Map(
    findings(journal)
      .filter((f) => f.rule === 'key.revoked_use')
      .map((f) => [f.findingId, f]),
  );
  return [...byId.values()];
};

describe.skipIf(!built() || rd.skip)('key-misuse in the daemon process (embedded bus)', () => {
  it('keys revoke via the CLI: one critical finding for a later use, none for an earlier one; remembered across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-keys-'));
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 50ms\nsinks:\n  journal:\n    path: journal.jsonl\n    families: [findings]\ndetectors:\n  keyMisuse: {}\nshutdown:\n  deadline: 10s\n',
    );
    const journal = join(dir, 'journal.jsonl');
    const pem = join(rd.dir, 'x509/fulcio', CERTS.release);
    const signer = certSigner(rd.dir, CERTS.release);
    const revokedAt = within(signer, 120);
    const producer = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') });
    await producer.start();
    const d1 = await startDaemon(['--config', cfg, '--data-dir', dir]);
    try {
      await vi.waitFor(async () => expect(await httpStatus(`${d1.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });
      const revoke = await runCli([
        'keys',
        'revoke',
        pem,
        '--at',
        revokedAt,
        '--reason',
        'key leaked in CI logs',
        '--actor',
        'oncall',
        '--config',
        cfg,
        '--data-dir',
        dir,
        '--json',
      ]);
      expect(revoke.code, revoke.stderr).toBe(0);
      expect(JSON.parse(revoke.stdout)).toMatchObject({
        subject: `key:${signer.keyId}`,
        revocation: { kind: 'key', keyId: signer.keyId, revokedAt, origin: 'cli', actor: 'oncall' },
      });
      await producer.publish([
        artifactEvent({ digest: D('1'), signed: [{ signer, at: within(signer, 60) }] }),
        artifactEvent({ digest: D('2'), signed: [{ signer, at: within(signer, 300) }] }),
      ]);
      await vi.waitFor(() => expect(revokedUses(journal)).toHaveLength(1), { timeout: 60_000, interval: 100 });
      d1.child.kill('SIGTERM');
      expect(await d1.exited).toBe(0);
      const [f, ...rest] = revokedUses(journal);
      expect(rest).toEqual([]);
      expect(f).toMatchObject({ severity: 'critical', category: 'security', subject: `ghcr.io/acme/app@${D('2')}` });

      const listed = await runCli(['keys', 'revocations', '--config', cfg, '--data-dir', dir, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout)).toMatchObject({ revocations: [{ kind: 'key', keyId: signer.keyId, revokedAt }] });

      const d2 = await startDaemon(['--config', cfg, '--data-dir', dir]);
      try {
        await vi.waitFor(async () => expect(await httpStatus(`${d2.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });
        await producer.publish(artifactEvent({ digest: D('3'), signed: [{ signer, at: within(signer, 400) }] }));
        await vi.waitFor(() => expect(revokedUses(journal)).toHaveLength(2), { timeout: 60_000, interval: 100 });
        expect(
          revokedUses(journal)
            .map((x) => x.subject)
            .sort(),
        ).toEqual([`ghcr.io/acme/app@${D('2')}`, `ghcr.io/acme/app@${D('3')}`]);
        d2.child.kill('SIGTERM');
        expect(await d2.exited).toBe(0);
      } finally {
        d2.child.kill('SIGKILL');
      }
    } finally {
      d1.child.kill('SIGKILL');
      await producer.stop();
    }
  }, 240_000);
});
