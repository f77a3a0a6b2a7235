/**
 * The real Kubernetes peer (scripts/services/kube.sh: kube-apiserver v1.37.2 on etcd v3.7.3) and the
 * test helpers the k8s suites build on (test/helpers/kube.ts): Pods are stored and stay Pending, a
 * raw watch sees ADDED/MODIFIED/DELETED, the API server calls an HTTPS validating webhook and honours
 * its deny and its failurePolicy, and after an API-server restart with etcd compacted an old
 * resourceVersion answers 410 Gone (what a watch's relist must handle).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AdmissionReview,
  apply,
  compactEtcd,
  createNamespace,
  createPod,
  expireResourceVersions,
  kube,
  kubeEnv,
  kubectl,
  kubeRequest,
  podManifest,
  rawWatch,
  registerWebhook,
  remove,
  restartApiserver,
  startWebhookServer,
  uniqueName,
  untilWebhookActive,
  type WebhookServer,
  writeKubeconfig,
} from './helpers/kube.js';

const WAIT = { timeout: 30_000, interval: 100 };

describe.skipIf(kube.skip)('real kube-apiserver + etcd', () => {
  it('reports its version and refuses an unknown token', async () => {
    const version = await kubeRequest('GET', '/version');
    expect(version.status).toBe(200);
    expect((version.json as { gitVersion: string }).gitVersion).toBe('v1.37.2');
    expect((await kubeRequest('GET', '/api/v1/namespaces', undefined, 'not-a-token')).status).toBe(401);
    // The role-less user is authenticated but may do nothing until a test binds a role to it.
    expect((await kubeRequest('GET', '/api/v1/pods', undefined, kubeEnv().userToken)).status).toBe(403);
  });

  it('RBAC: the role-less user can list and watch Pods once bound to a list/watch ClusterRole, and still not create', async () => {
    const { user, userToken } = kubeEnv();
    const ns = await createNamespace();
    const role = uniqueName('cw-reader');
    expect((await kubeRequest('GET', `/api/v1/namespaces/${ns}/pods`, undefined, userToken)).status).toBe(403);
    await apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: role },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    ]);
    await vi.waitFor(async () => expect((await kubeRequest('GET', `/api/v1/namespaces/${ns}/pods`, undefined, userToken)).status).toBe(200), WAIT);
    expect((await kubeRequest('POST', `/api/v1/namespaces/${ns}/pods`, podManifest(ns, 'p', ['nginx:1.27']), userToken)).status).toBe(403);
    // The same user through a kubeconfig of its own (what a least-privilege daemon would load).
    const config = writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'cw-kube-')), 'config'));
    await createPod(ns, 'seen', ['nginx:1.27']);
    const { stdout } = await promisify(execFile)(kubeEnv().kubectl, ['--kubeconfig', config, '-n', ns, 'get', 'pods', '-o', 'name']);
    expect(stdout.trim()).toBe('pod/seen');
    await kubectl(['delete', 'clusterrolebinding,clusterrole', role]);
  });

  it('stores a Pod (Pending, no kubelet) and a raw watch sees ADDED, MODIFIED, DELETED', async () => {
    const ns = await createNamespace();
    const watch = rawWatch(`/api/v1/namespaces/${ns}/pods`);
    expect(await watch.status).toBe(200);
    const pod = await createPod(ns, 'web', ['registry.example:5000/team/web:1.0', 'busybox@sha256:' + 'a'.repeat(64)]);
    expect((pod.status as { phase: string }).phase).toBe('Pending');
    await kubectl(['-n', ns, 'label', 'pod', 'web', 'touched=yes']);
    await remove(ns, 'pod', 'web');
    await vi.waitFor(() => expect(watch.events.map((e) => e.type)).toContain('DELETED'), WAIT);
    watch.stop();
    const types = watch.events.map((e) => e.type);
    expect(types[0]).toBe('ADDED');
    expect(types.at(-1)).toBe('DELETED');
    expect(types.slice(1, -1).every((t) => t === 'MODIFIED')).toBe(true);
    expect(watch.events.find((e) => e.type === 'MODIFIED' && e.object.metadata.labels?.touched === 'yes')).toBeDefined();
    expect(new Set(watch.events.map((e) => e.object.metadata.name))).toEqual(new Set(['web']));
  });

  describe('validating admission webhook over HTTPS', () => {
    let server: WebhookServer;
    let ns: string;
    let unregister: () => Promise<void>;
    const real = (r: AdmissionReview) => !r.request.dryRun;

    beforeAll(async () => {
      server = await startWebhookServer((r) => ({ allowed: r.request.object?.metadata.labels?.deny !== 'true', message: 'deny label set' }));
      ns = await createNamespace();
      unregister = await registerWebhook({
        kind: 'validating',
        name: uniqueName('cw-smoke'),
        url: `${server.url}/admission/validate`,
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
        failurePolicy: 'Fail',
        timeoutSeconds: 5,
      });
      await untilWebhookActive(ns, () => server.reviews.length > 0);
    });
    afterAll(async () => {
      await unregister?.();
      await server?.stop();
    });

    it('is called for a Pod create and its allow and deny are honoured', async () => {
      await createPod(ns, 'ok', ['nginx:1.27']);
      const denied = await kubeRequest('POST', `/api/v1/namespaces/${ns}/pods`, podManifest(ns, 'evil', ['nginx:1.27'], { deny: 'true' }));
      expect(denied.status).toBe(403);
      expect((await kubeRequest('GET', `/api/v1/namespaces/${ns}/pods/evil`)).status).toBe(404);
      expect((await kubeRequest('GET', `/api/v1/namespaces/${ns}/pods/ok`)).status).toBe(200);
      const seen = server.reviews
        .filter(real)
        .map((r) => [r.request.operation, r.request.kind.kind, r.request.namespace, r.request.name ?? r.request.object?.metadata.name]);
      expect(seen).toEqual([
        ['CREATE', 'Pod', ns, 'ok'],
        ['CREATE', 'Pod', ns, 'evil'],
      ]);
      expect(server.reviews.filter(real).every((r) => r.request.userInfo.username === 'admin')).toBe(true);
    });

    it('a Deployment reaches the webhook with its pod template', async () => {
      const dep = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: ns },
        spec: {
          selector: { matchLabels: { app: 'api' } },
          template: { metadata: { labels: { app: 'api', deny: 'true' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
        },
      };
      const before = server.reviews.length;
      expect((await kubeRequest('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, dep)).status).toBe(201);
      const review = server.reviews.slice(before).find(real);
      expect(review?.request.kind.kind).toBe('Deployment');
      const template = (review?.request.object?.spec as { template: { spec: { containers: { image: string }[] } } }).template;
      expect(template.spec.containers.map((c) => c.image)).toEqual(['nginx:1.27']);
    });
  });

  it("a mutating webhook's JSON Patch is applied to the stored Pod", async () => {
    const ns = await createNamespace();
    const server = await startWebhookServer((r) =>
      r.request.dryRun
        ? { allowed: true }
        : { allowed: true, patch: [{ op: 'replace', path: '/spec/containers/0/image', value: `nginx@sha256:${'b'.repeat(64)}` }] },
    );
    const off = await registerWebhook({
      kind: 'mutating',
      name: uniqueName('cw-pin'),
      url: server.url,
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    });
    await untilWebhookActive(ns, () => server.reviews.length > 0);
    const pod = await createPod(ns, 'pinned', ['nginx:1.27']);
    expect((pod.spec as { containers: { image: string }[] }).containers[0]!.image).toBe(`nginx@sha256:${'b'.repeat(64)}`);
    await off();
    await server.stop();
  });

  it('failurePolicy decides when the webhook cannot be reached: Fail denies, Ignore admits', async () => {
    // A port nothing listens on: a stopped webhook server's.
    const gone = await startWebhookServer(() => ({ allowed: true }));
    await gone.stop();
    const probe = await startWebhookServer(() => ({ allowed: true }));
    for (const [policy, want] of [
      ['Fail', 500],
      ['Ignore', 201],
    ] as const) {
      const ns = await createNamespace();
      const sel = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, timeoutSeconds: 2 };
      // A second, reachable webhook on the same namespace tells when the configurations are active.
      const offProbe = await registerWebhook({ kind: 'validating', name: uniqueName('cw-probe'), url: probe.url, ...sel });
      const off = await registerWebhook({ kind: 'validating', name: uniqueName('cw-down'), url: gone.url, failurePolicy: policy, ...sel });
      const seen = probe.reviews.length;
      await untilWebhookActive(ns, () => probe.reviews.length > seen);
      // The probe webhook may have become active before the unreachable one: ask until it answers as configured.
      await vi.waitFor(async () => {
        const r = await kubeRequest('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, podManifest(ns, 'p', ['nginx:1.27']));
        expect(r.status).toBe(want);
      }, WAIT);
      expect((await kubeRequest('POST', `/api/v1/namespaces/${ns}/pods`, podManifest(ns, 'p', ['nginx:1.27']))).status).toBe(want);
      await off();
      await offProbe();
    }
    await probe.stop();
  });

  it('an API-server restart cuts open watches, and with etcd compacted an old resourceVersion is 410 Gone', async () => {
    const ns = await createNamespace();
    const first = await createPod(ns, 'a', ['nginx:1.27']);
    const oldRv = first.metadata.resourceVersion!;
    await createPod(ns, 'b', ['nginx:1.27']);
    // Before: the old resourceVersion is still served (from the watch cache) and replays 'b'.
    const before = rawWatch(`/api/v1/namespaces/${ns}/pods`, { resourceVersion: oldRv });
    expect(await before.status).toBe(200);
    await vi.waitFor(() => expect(before.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toContain('ADDED b'), WAIT);

    expect(await compactEtcd()).toBeGreaterThan(Number(oldRv));
    // A clean stop even with a watch open (no SIGKILL after the grace time; kube.sh's watch termination grace period).
    expect(await restartApiserver()).not.toContain('SIGKILL');
    await before.ended; // the server closed it
    const after = rawWatch(`/api/v1/namespaces/${ns}/pods`, { resourceVersion: oldRv });
    // kube-apiserver answers the watch (200) and sends one ERROR event: 410 Expired.
    expect(await after.status).toBe(200);
    await vi.waitFor(() => expect(after.events.length).toBeGreaterThan(0), WAIT);
    expect(after.events[0]!.type).toBe('ERROR');
    expect(after.events[0]!.object).toMatchObject({ code: 410, reason: 'Expired' });
    after.stop();
    // The relist a watch does then: a fresh list, both Pods, at a newer resourceVersion.
    const list = await kubeRequest('GET', `/api/v1/namespaces/${ns}/pods`);
    const items = list.json as { items: { metadata: { name: string } }[]; metadata: { resourceVersion: string } };
    expect(items.items.map((p) => p.metadata.name).sort()).toEqual(['a', 'b']);
    expect(Number(items.metadata.resourceVersion)).toBeGreaterThan(Number(oldRv));
  });

  it('expireResourceVersions makes every earlier resourceVersion 410', async () => {
    const ns = await createNamespace();
    const pod = await createPod(ns, 'x', ['nginx:1.27']);
    await createPod(ns, 'y', ['nginx:1.27']);
    await expireResourceVersions();
    const w = rawWatch(`/api/v1/namespaces/${ns}/pods`, { resourceVersion: pod.metadata.resourceVersion! });
    expect(await w.status).toBe(200);
    await vi.waitFor(() => expect(w.events[0]?.object).toMatchObject({ code: 410, reason: 'Expired' }), WAIT);
    w.stop();
  });
});
