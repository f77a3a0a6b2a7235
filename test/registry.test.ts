import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CloudEvent, RegistryManifest } from '../core/index.js';
import { built, type DaemonProcess, httpStatus, metricValue, startDaemon } from './helpers/daemon-process.js';
import { pushImage } from './helpers/oci-push.js';
import { service } from './helpers/services.js';

/**
 * collectors.registry against a real registry (Debian's docker-registry 2.8, scripts/services/
 * registry.sh) whose notifications go to the real daemon process: a push becomes a manifest.v1
 * event through the registry's own envelope, bad input is refused with its status and counted,
 * and an event answered 202 survives a SIGKILL right after the answer.
 */
const registry = service('CHAINWATCH_TEST_REGISTRY_URL', 'container registry (distribution 2.8)');
const NOTIFY_PORT = process.env.CHAINWATCH_TEST_REGISTRY_NOTIFY_PORT;
const NOTIFY_TOKEN = process.env.CHAINWATCH_TEST_REGISTRY_NOTIFY_TOKEN;

function setup(): { dir: string; args: string[]; env: NodeJS.ProcessEnv; journal: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-registry-'));
  const cfg = join(dir, 'chainwatch.yaml');
  writeFileSync(
    cfg,
    'collectors:\n  registry:\n    distribution:\n      bearer:\n        - token: { env: CW_TEST_NOTIFY_TOKEN }\n          principal: test-registry\n      maxBodyBytes: 65536\n' +
      'sinks:\n  journal:\n    path: journal.jsonl\n    families: [registry]\n',
  );
  return {
    dir,
    args: ['--config', cfg, '--data-dir', dir, '--port', NOTIFY_PORT!],
    env: { CW_TEST_NOTIFY_TOKEN: NOTIFY_TOKEN },
    journal: join(dir, 'journal.jsonl'),
  };
}

function manifests(journal: string): RegistryManifest[] {
  if (!existsSync(journal)) return [];
  return readFileSync(journal, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CloudEvent | { event: CloudEvent })
    .map((r) => ('event' in r ? r.event : r) as CloudEvent)
    .filter((e) => e.type === 'dev.chainwatch.registry.manifest.v1')
    .map((e) => e.data as RegistryManifest);
}

async function ready(d: DaemonProcess): Promise<void> {
  await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });
}

const envelope = (id: string, digestHex: string): string =>
  JSON.stringify({
    events: [
      {
        id,
        timestamp: new Date().toISOString(),
        action: 'push',
        target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${digestHex}`, repository: 'peers/direct', tag: id },
        request: { host: '127.0.0.1:5000' },
      },
    ],
  });

describe.skipIf(registry.skip || !built())('registry webhooks from a real registry into the real daemon', () => {
  it('a push to the registry arrives as a manifest.v1 event; bad input is refused and counted; the daemon stays healthy', async () => {
    const s = setup();
    const d = await startDaemon(s.args, s.env);
    try {
      await ready(d);
      const repo = `peers/hello-${Date.now()}`;
      const { digest } = await pushImage(registry.value!, repo, 'v1', `layer ${repo}`);
      await vi.waitFor(() => expect(manifests(s.journal).find((m) => m.image.digest === digest)).toBeDefined(), { timeout: 30_000, interval: 100 });
      const m = manifests(s.journal).find((x) => x.image.digest === digest)!;
      expect(m).toMatchObject({ source: 'distribution', action: 'push', image: { repository: repo, tag: 'v1', digest } });
      expect(m.image.registry).toBe(new URL(registry.value!).host);
      expect(await metricValue(d.url, 'chainwatch_registry_webhook_deliveries_total', { source: 'distribution', outcome: 'accepted' })).toBeGreaterThan(0);

      const url = `${d.url}/webhooks/distribution`;
      const auth = { authorization: `Bearer ${NOTIFY_TOKEN}` };
      const ct = { 'content-type': 'application/vnd.docker.distribution.events.v1+json' };
      const cases: [string, RequestInit, number][] = [
        ['malformed JSON', { headers: { ...auth, ...ct }, body: '{"events":' }, 400],
        ['deep nesting', { headers: { ...auth, ...ct }, body: '['.repeat(5000) }, 400],
        ['wrong shape', { headers: { ...auth, ...ct }, body: '{"events":[{"id":1}]}' }, 400],
        ['wrong content type', { headers: { ...auth, 'content-type': 'text/plain' }, body: '{}' }, 415],
        ['oversized', { headers: { ...auth, ...ct }, body: 'x'.repeat(70_000) }, 413],
        ['missing token', { headers: ct, body: '{}' }, 401],
        ['bad token', { headers: { ...ct, authorization: 'Bearer nope' }, body: '{}' }, 401],
        [
          'replayed',
          { headers: { ...auth, ...ct }, body: envelope('old', 'cd'.repeat(32)).replace(/"timestamp":"[^"]+"/, '"timestamp":"2020-01-01T00:00:00Z"') },
          409,
        ],
      ];
      for (const [what, init, status] of cases) {
        const res = await fetch(url, { method: 'POST', ...init });
        await res.arrayBuffer();
        expect(res.status, what).toBe(status);
      }
      const dup = envelope('dup-1', 'ef'.repeat(32));
      expect((await fetch(url, { method: 'POST', headers: { ...auth, ...ct }, body: dup })).status).toBe(202);
      expect((await fetch(url, { method: 'POST', headers: { ...auth, ...ct }, body: dup })).status).toBe(200);
      for (const code of ['400', '401', '409', '413', '415', '200', '202'])
        expect(await metricValue(d.url, 'chainwatch_http_requests_total', { route: 'registry.webhook.distribution', code }), code).toBeGreaterThan(0);
      expect(await httpStatus(`${d.url}/healthz`)).toBe(200);
      await vi.waitFor(() => expect(manifests(s.journal).filter((x) => x.deliveryId === 'dup-1')).toHaveLength(1), { timeout: 30_000, interval: 100 });
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
    } finally {
      d.child.kill('SIGKILL');
    }
  });

  it('an event answered 202 is on the bus after a SIGKILL right after the answer', async () => {
    const s = setup();
    const d1 = await startDaemon(s.args, s.env);
    try {
      await ready(d1);
      const res = await fetch(`http://127.0.0.1:${NOTIFY_PORT}/webhooks/distribution`, {
        method: 'POST',
        headers: { authorization: `Bearer ${NOTIFY_TOKEN}`, 'content-type': 'application/json' },
        body: envelope('kill-1', '12'.repeat(32)),
      });
      d1.child.kill('SIGKILL');
      expect(res.status).toBe(202);
      await d1.exited;
    } finally {
      d1.child.kill('SIGKILL');
    }
    const d2 = await startDaemon(s.args, s.env);
    try {
      await vi.waitFor(() => expect(manifests(s.journal).map((m) => m.deliveryId)).toContain('kill-1'), { timeout: 60_000, interval: 100 });
      d2.child.kill('SIGTERM');
      expect(await d2.exited).toBe(0);
    } finally {
      d2.child.kill('SIGKILL');
    }
  });
});
