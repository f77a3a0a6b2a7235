import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { type ArtifactVerified, ArtifactVerifiedEvent, imageSubject, makeEvent, type RegistryManifest, RegistryManifestEvent } from '../core/index.js';
import { built, httpStatus, startDaemon } from './helpers/daemon-process.js';
import { ocireg, pushImage } from './helpers/oci.js';

/**
 * The settle delay is durable: the daemon (real process, embedded bus, collectors.signatures on,
 * the real ggcr registry) is SIGKILLed while a push waits out its settle delay; nothing was published
 * and the record's offset was not committed, so the restarted daemon handles the push and publishes
 * its artifact.verified exactly once.
 */
function verifiedIn(journal: string): ArtifactVerified[] {
  if (!existsSync(journal)) return [];
  const out: ArtifactVerified[] = [];
  for (const line of readFileSync(journal, 'utf8').split('\n')) {
    try {
      const { event } = JSON.parse(line) as { event: { type: string; data: ArtifactVerified } };
      if (event.type === ArtifactVerifiedEvent.type) out.push(event.data);
    } catch {
      // an empty or torn last line
    }
  }
  return out;
}

describe.skipIf(ocireg.skip || !built())('collectors.signatures in the daemon process', () => {
  it('SIGKILL during the settle delay: the restarted daemon handles the push, one artifact.verified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-sigd-'));
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 50ms\nsinks:\n  journal:\n    path: journal.jsonl\n    families: [registry]\n' +
        'collectors:\n  signatures:\n    settleDelay: 3s\nshutdown:\n  deadline: 10s\n',
    );
    const journal = join(dir, 'journal.jsonl');
    const repo = `cw/sigd-${Date.now().toString(36)}`;
    const digest = await pushImage(ocireg.value!, repo, 'v1');
    const producer = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') });
    await producer.start();
    const d1 = await startDaemon(['--config', cfg, '--data-dir', dir]);
    try {
      await vi.waitFor(async () => expect(await httpStatus(`${d1.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });
      const now = new Date().toISOString();
      const image = { registry: ocireg.value!, repository: repo, digest, tag: 'v1' };
      const data: RegistryManifest = { source: 'distribution', action: 'push', image, deliveryId: `sigd-${digest}`, occurredAt: now, receivedAt: now };
      await producer.publish(makeEvent({ type: RegistryManifestEvent.type, source: 'chainwatch://test', subject: imageSubject(image), data }));
      // The journal has the push (so the daemon consumes the topic) and no verdict yet: settling.
      await vi.waitFor(() => expect(readFileSync(journal, 'utf8')).toContain(digest), { timeout: 10_000, interval: 50 });
      expect(verifiedIn(journal)).toEqual([]);
      d1.child.kill('SIGKILL');
      expect(await d1.exited).toBe(null);
      expect(verifiedIn(journal)).toEqual([]);

      const d2 = await startDaemon(['--config', cfg, '--data-dir', dir]);
      try {
        await vi.waitFor(() => expect(verifiedIn(journal)).toHaveLength(1), { timeout: 30_000, interval: 100 });
        expect(verifiedIn(journal)[0]).toMatchObject({ image, trigger: { deliveryId: `sigd-${digest}`, action: 'push' }, discoveryErrors: [] });
        d2.child.kill('SIGTERM');
        expect(await d2.exited).toBe(0);
        expect(verifiedIn(journal)).toHaveLength(1);
      } finally {
        d2.child.kill('SIGKILL');
      }
    } finally {
      d1.child.kill('SIGKILL');
      await producer.stop();
    }
  });
});
