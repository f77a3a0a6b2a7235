import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type StateStore, topicFor, type Workload, type WorkloadImage } from '../../../core/index.js';
import { testContext, type TestContext } from '../../../core/testing/index.js';
import { createK8sWatches, type K8sClusterWatch } from './index.js';
import type { TagResolver } from './resolver.js';
import { deploymentSpec, FakeApiServer, podSpec } from './testing/fake-apiserver.js';

/**
 * The cluster watch through the real @kubernetes/client-node (KubeConfig, typed lists, Watch)
 * against an in-process list/watch endpoint (testing/fake-apiserver.ts), for what is slow to
 * provoke on a real API server: both 410 forms, bookmarks, restarts at chosen moments. The same
 * behaviour against the real kube-apiserver: test/k8s-watch.test.ts.
 */
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const KUBELET_DIGEST = `sha256:${'cd'.repeat(32)}`;
const dirs: string[] = [];
const servers: FakeApiServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Resolves every tag to DIGEST, counting calls (the OCI resolver itself is tested against a real registry). */
class CountingResolver implements TagResolver {
  calls = 0;
  async resolve(images: WorkloadImage[]): Promise<WorkloadImage[]> {
    return images.map((i) => {
      if (i.digest !== undefined) return i;
      this.calls++;
      return { ...i, digest: DIGEST, resolvedFromTag: true };
    });
  }
}

async function setup(kinds: string[] = ['Pod', 'Deployment']) {
  const server = new FakeApiServer();
  await server.start();
  servers.push(server);
  const dir = mkdtempSync(join(tmpdir(), 'cw-k8s-'));
  dirs.push(dir);
  const ctx = testContext(dir);
  const resolver = new CountingResolver();
  writeFileSync(join(dir, 'ca.pem'), server.caPem);
  const config = { clusters: [{ name: 'test', server: server.url, token: 'test-token', caFile: join(dir, 'ca.pem'), kinds, watchTimeout: 60_000 }] };
  const running: K8sClusterWatch[] = [];
  const make = (c: TestContext = ctx) => createK8sWatches(config as never, c, { resolver })[0]!;
  const startWatch = async (c: TestContext = ctx) => {
    const w = make(c);
    await w.start();
    await vi.waitFor(() => expect(w.isSynced()).toBe(true));
    running.push(w);
    return w;
  };
  const events = () => ctx.bus.events(topicFor('k8s')).map((e) => `${e.type.split('.')[4]} ${(e.data as Workload).kind}/${(e.data as Workload).name}`);
  const data = (i: number) => ctx.bus.events(topicFor('k8s'))[i]!.data as Workload;
  return { server, ctx, resolver, make, startWatch, events, data, stopAll: () => Promise.all(running.map((w) => w.stop())) };
}

describe('k8s watch: list+watch through @kubernetes/client-node', () => {
  it('publishes started/changed/stopped for Pods and a Deployment; status churn is not a change', async () => {
    const h = await setup();
    h.server.apply('Pod', 'default', 'before', podSpec('nginx:1.27'));
    const w = await h.startWatch();
    expect(h.events()).toEqual(['started Pod/before']);
    expect(h.data(0).images).toEqual([
      { container: 'c0', reference: 'nginx:1.27', registry: 'docker.io', repository: 'library/nginx', tag: '1.27', digest: DIGEST, resolvedFromTag: true },
    ]);

    h.server.apply('Deployment', 'apps', 'web', deploymentSpec(`127.0.0.1:5000/web@${DIGEST}`));
    h.server.apply('Pod', 'default', 'before', podSpec('nginx:1.27'), { status: { phase: 'Pending' } });
    h.server.apply('Deployment', 'apps', 'web', deploymentSpec(`127.0.0.1:5000/web@${DIGEST}`), { status: { observedGeneration: 2 } });
    h.server.apply('Deployment', 'apps', 'web', deploymentSpec('127.0.0.1:5000/web:v2'));
    h.server.remove('Pod', 'default', 'before');
    await vi.waitFor(() => expect(h.events()).toHaveLength(5));
    // One stream per kind: order holds within a kind (and per subject on the bus), not across kinds.
    expect(h.events().filter((e) => e.includes('Pod/'))).toEqual(['started Pod/before', 'changed Pod/before', 'stopped Pod/before']);
    expect(h.events().filter((e) => e.includes('Deployment/'))).toEqual(['started Deployment/web', 'changed Deployment/web']);
    const byName = (what: string) =>
      h.ctx.bus
        .events(topicFor('k8s'))
        .filter((e) => e.type.includes(what))
        .map((e) => e.data as Workload);
    expect(byName('changed').find((w) => w.kind === 'Pod')!.phase).toBe('Pending');
    expect(byName('started').find((w) => w.kind === 'Deployment')!.images[0]).toMatchObject({
      registry: '127.0.0.1:5000',
      repository: 'web',
      digest: DIGEST,
      resolvedFromTag: false,
    });
    await w.stop();
  });

  it('prefers the digest the kubelet reported (imageID) over resolving the tag', async () => {
    const h = await setup(['Pod']);
    h.server.apply('Pod', 'default', 'p', podSpec('nginx:1.27'), {
      status: { phase: 'Running', containerStatuses: [{ name: 'c0', imageID: `docker.io/library/nginx@${KUBELET_DIGEST}` }] },
    });
    const w = await h.startWatch();
    expect(h.data(0).images[0]).toMatchObject({ digest: KUBELET_DIGEST, resolvedFromTag: true });
    expect(h.resolver.calls).toBe(0);
    await w.stop();
  });

  it('a daemon restart publishes only what changed while it was down (no second start, every stop)', async () => {
    const h = await setup();
    h.server.apply('Pod', 'default', 'stays', podSpec('nginx:1.27'));
    h.server.apply('Pod', 'default', 'goes', podSpec('nginx:1.27'));
    await h.startWatch();
    expect(h.events()).toHaveLength(2);
    await h.stopAll();

    h.server.remove('Pod', 'default', 'goes');
    h.server.apply('Pod', 'default', 'new', podSpec('redis:7'));
    const w = await h.startWatch();
    await vi.waitFor(() => expect(h.events()).toHaveLength(4));
    expect(h.events().slice(2)).toEqual(['stopped Pod/goes', 'started Pod/new']);
    // From the stored cursor: the restart watched, it did not list again.
    expect(h.server.lists).toBe(2); // the first start: one list per kind
    await w.stop();
  });

  it.each([false, true])('410 after a compaction while down (as HTTP status: %s): relist publishes only the differences', async (asStatus) => {
    const h = await setup(['Pod']);
    h.server.gone410AsStatus = asStatus;
    h.server.apply('Pod', 'default', 'stays', podSpec('nginx:1.27'));
    h.server.apply('Pod', 'default', 'goes', podSpec('nginx:1.27'));
    h.server.apply('Pod', 'default', 'changes', podSpec('nginx:1.27'));
    await h.startWatch();
    await h.stopAll();
    h.server.remove('Pod', 'default', 'goes');
    h.server.apply('Pod', 'default', 'changes', podSpec('nginx:1.28'));
    h.server.apply('Pod', 'default', 'new', podSpec('redis:7'));
    h.server.compact();
    const w = await h.startWatch();
    await vi.waitFor(() => expect(h.events()).toHaveLength(6));
    expect(h.events().slice(3).sort()).toEqual(['changed Pod/changes', 'started Pod/new', 'stopped Pod/goes']);
    expect(h.server.lists).toBe(2);
    await w.stop();
  });

  it('a compaction while running (410 on re-watch after the server dropped the stream) and a bookmark: nothing missed or repeated', async () => {
    const h = await setup(['Pod']);
    const w = await h.startWatch();
    h.server.apply('Pod', 'default', 'a', podSpec('nginx:1.27'));
    await vi.waitFor(() => expect(h.events()).toEqual(['started Pod/a']));
    h.server.bookmark();
    h.server.dropStreams(); // API-server restart: re-watch from the cursor
    h.server.apply('Pod', 'default', 'b', podSpec('nginx:1.27'));
    await vi.waitFor(() => expect(h.events()).toEqual(['started Pod/a', 'started Pod/b']), { timeout: 10_000 }); // after the retry backoff
    const watches = h.server.watches;
    h.server.dropStreams();
    h.server.remove('Pod', 'default', 'a');
    h.server.compact();
    await vi.waitFor(() => expect(h.events()).toEqual(['started Pod/a', 'started Pod/b', 'stopped Pod/a']), { timeout: 10_000 });
    expect(h.server.watches).toBeGreaterThan(watches);
    expect(h.server.lists).toBe(2);
    await w.stop();
  });

  it('a deleted and re-created object with the same name while down is a stop and a start', async () => {
    const h = await setup(['Pod']);
    h.server.apply('Pod', 'default', 'p', podSpec('nginx:1.27'));
    await h.startWatch();
    await h.stopAll();
    h.server.remove('Pod', 'default', 'p');
    h.server.apply('Pod', 'default', 'p', podSpec('nginx:1.27'));
    h.server.compact();
    const w = await h.startWatch();
    await vi.waitFor(() => expect(h.events()).toEqual(['started Pod/p', 'stopped Pod/p', 'started Pod/p']));
    expect(h.data(1).uid).not.toBe(h.data(2).uid);
    await w.stop();
  });

  it('a stream that fails to start stops the streams already running (none is left unreachable)', async () => {
    const h = await setup(['Pod', 'Deployment']);
    const broken = new Error('state store broken');
    // The Deployment stream's snapshot fails to load once the Pod stream (started first) is watching.
    const state: StateStore = {
      get: (k) => h.ctx.state.get(k),
      put: (k, v) => h.ctx.state.put(k, v),
      delete: (k) => h.ctx.state.delete(k),
      list: async (prefix) => {
        if (!prefix.includes(':Deployment:')) return h.ctx.state.list(prefix);
        await vi.waitFor(() => expect(h.server.openWatches).toBe(1));
        throw broken;
      },
    };
    const w = h.make({ ...h.ctx, state });
    await expect(w.start()).rejects.toBe(broken);
    await vi.waitFor(() => expect(h.server.openWatches).toBe(0));
    expect(w.health().ready).toBe(false);
  });

  it('stop() ends a list the API server never answers', async () => {
    const h = await setup(['Pod']);
    h.server.hangLists = true;
    const w = h.make();
    await w.start();
    await vi.waitFor(() => expect(h.server.hungLists).toBe(1));
    await w.stop(); // before lists took a signal, this never resolved (the test timed out)
    await vi.waitFor(() => expect(h.server.hungLists).toBe(0));
    expect(h.ctx.errors).toEqual([]);
  });
});
