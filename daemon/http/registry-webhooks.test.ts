import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CloudEvent, type Component, type RegistryManifest, silentLogger, topicFor } from '../../core/index.js';
import { MemoryMetrics, realdata, testContext, type TestContext } from '../../core/testing/index.js';
import { registryModule, registrySectionSchema } from '../../collectors/registry/index.js';
import { HttpServer } from './server.js';

/**
 * collectors.registry's webhook routes through the real router (auth, 413, 415 run there) with
 * the intake component bound to a test context (in-memory bus twin, settable clock). The public
 * payloads of ../shared/realdata/webhooks go through the same routes.
 */
const RD = realdata();
const TOKEN = 'distribution-notify-t0ken';
const HARBOR_TOKEN = 'harbor-auth-header-t0ken';
const GH_SECRET = 'github-webhook-s3cret';

let server: HttpServer | undefined;
let component: Component | undefined;
afterEach(async () => {
  await component?.stop();
  await server?.stop();
  server = component = undefined;
});

interface Rig {
  base: string;
  ctx: TestContext;
  meter: MemoryMetrics;
  manifests(): RegistryManifest[];
}

async function rig(opts: { start?: boolean; maxBodyBytes?: number; clock?: string } = {}): Promise<Rig> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-registry-hook-'));
  const section = registrySectionSchema.parse({
    distribution: { bearer: [{ token: TOKEN, principal: 'registry' }], ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}) },
    harbor: { bearer: [{ token: HARBOR_TOKEN, principal: 'harbor' }] },
    github: { hmacSecret: GH_SECRET },
  });
  const host = { dataDir, instance: 'test', publicUrl: undefined, facts: {} };
  const ctx = testContext(dataDir, Date.parse(opts.clock ?? '2006-01-02T15:04:05Z'));
  const specs = registryModule.components!(section, host);
  if (opts.start !== false) {
    component = specs[0]!.create(ctx);
    await component.start();
  }
  const meter = new MemoryMetrics();
  server = new HttpServer({
    ready: () => ({ ready: true, checks: {} }),
    metrics: async () => ({ body: '', contentType: 'text/plain' }),
    logger: silentLogger,
    meter,
  });
  server.setRoutes(registryModule.routes!(section, host));
  const base = `http://127.0.0.1:${(await server.start('127.0.0.1', 0)).port}`;
  return { base, ctx, meter, manifests: () => ctx.bus.events(topicFor('registry')).map((e: CloudEvent) => e.data as RegistryManifest) };
}

const DIST_CT = 'application/vnd.docker.distribution.events.v1+json';
const post = (url: string, body: string | Buffer, headers: Record<string, string>): Promise<Response> => fetch(url, { method: 'POST', body, headers });
const distribution = (base: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  post(`${base}/webhooks/distribution`, body, { 'content-type': DIST_CT, authorization: `Bearer ${TOKEN}`, ...headers });
const sign = (body: string | Buffer, secret = GH_SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const read = (rel: string): string => readFileSync(join(RD.dir, 'webhooks', rel), 'utf8');

describe.skipIf(RD.skip)('registry webhooks: the public examples through the real routes', () => {
  it('distribution push envelope: the manifest push becomes one event, the two blob pushes are ignored and counted', async () => {
    const r = await rig();
    const res = await distribution(r.base, read('distribution/push-events-envelope.json'));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 1, ignored: 2 });
    const [m, ...rest] = r.manifests();
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ source: 'distribution', action: 'push', deliveryId: 'asdf-asdf-asdf-asdf-0', actor: 'test-actor' });
    expect(m!.image).toEqual({
      registry: 'registrycluster.local',
      repository: 'library/test',
      digest: 'sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf',
    });
    const ev = r.ctx.bus.events(topicFor('registry'))[0]!;
    expect(ev.subject).toBe('registrycluster.local/library/test@sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf');
    expect(r.ctx.metrics.get('registry_webhook_events_total', { source: 'distribution', result: 'ignored' })).toBe(2);
    // The same delivery again: answered, not published again.
    const again = await distribution(r.base, read('distribution/push-events-envelope.json'));
    expect(again.status).toBe(200);
    expect(r.manifests()).toHaveLength(1);
    expect(r.ctx.metrics.get('registry_webhook_deliveries_total', { source: 'distribution', outcome: 'duplicate' })).toBe(1);
  });

  it('distribution pull envelope: a pull is ignored (200), nothing published', async () => {
    const r = await rig({ clock: '2016-03-09T22:44:26Z' });
    const res = await distribution(r.base, read('distribution/pull-manifest-event-envelope.json'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ignored', ignored: 1 });
    expect(r.manifests()).toEqual([]);
  });

  it('harbor PUSH_ARTIFACT: one push with a derived, stable delivery id', async () => {
    const r = await rig({ clock: '2020-04-15T03:45:08Z' });
    const body = read('harbor/push_artifact.http.json');
    const send = (): Promise<Response> =>
      post(`${r.base}/webhooks/harbor`, body, { 'content-type': 'application/json', authorization: `Bearer ${HARBOR_TOKEN}` });
    expect((await send()).status).toBe(202);
    expect((await send()).status).toBe(200);
    const ms = r.manifests();
    expect(ms).toHaveLength(1);
    expect(ms[0]).toMatchObject({ source: 'harbor', action: 'push', actor: 'admin', occurredAt: '2020-04-15T03:45:08.000Z' });
    expect(ms[0]!.image).toEqual({
      registry: 'hub.harbor.com',
      repository: 'test-webhook/debian',
      digest: 'sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8',
      tag: 'latest',
    });
    expect(ms[0]!.deliveryId).toMatch(/^harbor:[0-9a-f]{64}$/);
  });

  it('github registry_package published: signed with the secret, keyed by X-GitHub-Delivery', async () => {
    const r = await rig();
    const body = readFileSync(join(RD.dir, 'webhooks/github/registry_package.published.docker.payload.json'));
    const headers = { 'content-type': 'application/json', 'x-github-event': 'registry_package', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };
    expect((await post(`${r.base}/webhooks/github`, body, { ...headers, 'x-hub-signature-256': sign(body, 'wrong-secret') })).status).toBe(401);
    expect((await post(`${r.base}/webhooks/github`, body, headers)).status).toBe(401);
    expect(r.manifests()).toEqual([]);
    expect((await post(`${r.base}/webhooks/github`, body, { ...headers, 'x-hub-signature-256': sign(body) })).status).toBe(202);
    const [m] = r.manifests();
    expect(m).toMatchObject({ source: 'github', action: 'push', deliveryId: headers['x-github-delivery'], actor: 'github-actions[bot]' });
    expect(m!.image).toEqual({
      registry: 'ghcr.io',
      repository: 'codertocat/hello-world',
      digest: 'sha256:3da1996a8115d7616457760d9920b815241d0a03b34cf5f04e9a0e9d8de37498',
    });
  });
});

describe('registry webhooks: bad input', () => {
  const push = (id: string, timestamp = '2006-01-02T15:04:05Z'): string =>
    JSON.stringify({
      events: [
        {
          id,
          timestamp,
          action: 'push',
          target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ab'.repeat(32)}`, repository: 'peers/hello', tag: 'v1' },
          request: { host: '127.0.0.1:5000' },
        },
      ],
    });

  it('answers each refusal with its status and code, counts it, and keeps serving', async () => {
    const r = await rig({ maxBodyBytes: 4096 });
    const cases: [string, Promise<Response>, number, string?][] = [
      ['malformed JSON', distribution(r.base, '{"events": ['), 400, 'REGISTRY_BODY_MALFORMED'],
      ['deep nesting', distribution(r.base, `${'['.repeat(100_0)}${']'.repeat(100_0)}`), 400, 'REGISTRY_BODY_TOO_DEEP'],
      ['wrong shape', distribution(r.base, JSON.stringify({ events: [{ id: 'x' }] })), 400, 'REGISTRY_PAYLOAD_INVALID'],
      ['bad digest', distribution(r.base, push('bad-digest').replace(`sha256:${'ab'.repeat(32)}`, 'sha256:nothex')), 400, 'REGISTRY_PAYLOAD_INVALID'],
      ['replayed (a year old)', distribution(r.base, push('old', '2005-01-02T15:04:05Z')), 409, 'REGISTRY_REPLAYED'],
      ['wrong content type', distribution(r.base, push('ct'), { 'content-type': 'text/plain' }), 415],
      ['oversized', distribution(r.base, JSON.stringify({ events: [], pad: 'x'.repeat(8192) })), 413],
      ['missing token', distribution(r.base, push('nt'), { authorization: '' }), 401],
      ['bad token', distribution(r.base, push('bt'), { authorization: 'Bearer not-the-token' }), 401],
    ];
    for (const [what, pending, status, code] of cases) {
      const res = await pending;
      expect(res.status, what).toBe(status);
      if (code) expect(await res.json(), what).toMatchObject({ code });
      else await res.arrayBuffer();
    }
    expect(r.manifests()).toEqual([]);
    for (const outcome of ['malformed', 'too_deep', 'invalid', 'replayed'])
      expect(r.ctx.metrics.get('registry_webhook_deliveries_total', { source: 'distribution', outcome }), outcome).toBeGreaterThan(0);
    for (const code of ['413', '415', '401'])
      expect(r.meter.get('http_requests_total', { route: 'registry.webhook.distribution', code }), code).toBeGreaterThan(0);
    // Still serving: a good delivery is accepted after all of that.
    expect((await distribution(r.base, push('good'))).status).toBe(202);
    expect(r.manifests()).toHaveLength(1);
  });

  it('answers 503 (retry) while the intake is not running, and when the bus refuses; nothing is remembered then', async () => {
    const idle = await rig({ start: false });
    const res = await distribution(idle.base, push('early'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'REGISTRY_NOT_READY' });
    await server?.stop();

    const r = await rig();
    r.ctx.bus.failWith = new Error('broker down');
    expect((await distribution(r.base, push('retry-me'))).status).toBe(503);
    r.ctx.bus.failWith = undefined;
    // The sender's retry of the same delivery is published: it was not marked seen before.
    expect((await distribution(r.base, push('retry-me'))).status).toBe(202);
    expect(r.manifests()).toHaveLength(1);
  });

  it('forgets delivery ids after the dedupe window', async () => {
    const r = await rig();
    expect((await distribution(r.base, push('d1'))).status).toBe(202);
    r.ctx.clock.ms += 8 * 24 * 3600_000;
    expect(await r.ctx.state.list('registry:seen:')).toHaveLength(1);
    await component!.stop();
    await component!.start(); // the start sweep
    expect(await r.ctx.state.list('registry:seen:')).toEqual([]);
  });

  it('serves only configured sources (404 otherwise)', async () => {
    const r = await rig();
    expect((await post(`${r.base}/webhooks/gitlab`, '{}', { 'content-type': 'application/json' })).status).toBe(404);
  });
});
