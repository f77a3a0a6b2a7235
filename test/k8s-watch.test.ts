/**
 * The cluster watch (collectors/k8s/watch) and the workloads detector against the REAL API server
 * (scripts/services/kube.sh: kube-apiserver v1.37.2 on etcd v3.7.3, no kubelet: Pods stay
 * Pending, Deployments get no ReplicaSets). Through create/update/delete of Pods and a
 * Deployment, an API-server restart, a 410 relist (etcd compacted) while running and while the
 * daemon is down, and daemon restarts: every object starts once, stops once, and every finding
 * fires once per workload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createK8sWatches, type K8sClusterWatch } from '../collectors/k8s/index.js';
import { ArtifactVerifiedEvent, type Finding, makeEvent, topicFor, type Workload } from '../core/index.js';
import { testContext, type TestContext } from '../core/testing/index.js';
import { createWorkloadsDetector, RULES, type WorkloadsDetector } from '../detectors/workloads/index.js';
import { createDeployment, createNamespace, createPod, expireResourceVersions, kube, kubeEnv, kubectl, remove, restartApiserver } from './helpers/kube.js';

const WAIT = { timeout: 60_000, interval: 100 };
const DIGEST = `sha256:${'5e'.repeat(32)}`;
const IMAGE = `127.0.0.1:5999/team/app@${DIGEST}`;

describe.skipIf(kube.skip)('k8s watch against the real kube-apiserver', () => {
  let dir: string;
  let ctx: TestContext;
  let ns: string;
  let watch: K8sClusterWatch | undefined;
  let detector: WorkloadsDetector | undefined;

  const k8s = () => ctx.bus.events(topicFor('k8s')).map((e) => ({ type: e.type.split('.')[4]!, w: e.data as Workload }));
  const lines = () => k8s().map((e) => `${e.type} ${e.w.kind}/${e.w.name}`);
  const findings = () => ctx.bus.events(topicFor('findings')).map((e) => e.data as Finding);
  const relists = () => ctx.metrics.get('k8s_watch_events_total', { cluster: 'real', kind: 'Pod', type: 'relist' });

  async function startWatch(mode: 'token' | 'kubeconfig' = 'token'): Promise<void> {
    const env = kubeEnv();
    const cluster = mode === 'token' ? { name: 'real', server: env.url, token: env.token, caFile: env.caFile } : { name: 'real', kubeconfig: env.kubeconfig };
    [watch] = createK8sWatches({ clusters: [{ ...cluster, namespaces: [ns], kinds: ['Pod', 'Deployment'] }], resolve: { enabled: false } }, ctx);
    await watch!.start();
    await vi.waitFor(() => expect(watch!.isSynced()).toBe(true), WAIT);
  }
  async function stopWatch(): Promise<void> {
    await watch?.stop();
    watch = undefined;
  }
  async function startDetector(): Promise<void> {
    detector = createWorkloadsDetector({ reverify: { schedule: '0 0 1 1 *' }, evaluate: { schedule: '0 0 1 1 *' } }, ctx);
    await detector.start();
  }

  /** No object started twice, none stopped twice, none stopped before it started. */
  function assertNoDuplicates(): void {
    const by = new Map<string, string[]>();
    for (const e of k8s()) if (e.type !== 'changed') by.set(e.w.uid, [...(by.get(e.w.uid) ?? []), e.type]);
    for (const [uid, seq] of by) expect([['started'], ['started', 'stopped']], uid).toContainEqual(seq);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-k8s-real-'));
    ctx = testContext(dir, Date.now());
    ctx.now = () => new Date();
    ns = await createNamespace();
    await startDetector();
  });
  afterAll(async () => {
    await stopWatch();
    await detector?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees create, update and delete of Pods and a Deployment (started / changed / stopped)', async () => {
    await createPod(ns, 'before', [IMAGE]);
    await startWatch();
    expect(lines()).toEqual(['started Pod/before']);
    await createPod(ns, 'web', [IMAGE, 'busybox:1.36']);
    await createDeployment(ns, 'api', [IMAGE]);
    await kubectl(['-n', ns, 'label', 'pod', 'web', 'tier=front']);
    await kubectl(['-n', ns, 'set', 'image', 'deployment/api', 'c0=127.0.0.1:5999/team/app:v2']);
    await remove(ns, 'pod', 'before');
    await vi.waitFor(() => expect(lines()).toHaveLength(6), WAIT);
    expect(lines().filter((l) => l.includes('Pod/'))).toEqual(['started Pod/before', 'started Pod/web', 'changed Pod/web', 'stopped Pod/before']);
    expect(lines().filter((l) => l.includes('Deployment/'))).toEqual(['started Deployment/api', 'changed Deployment/api']);
    const web = k8s().find((e) => e.type === 'changed' && e.w.name === 'web')!.w;
    expect(web).toMatchObject({ cluster: 'real', namespace: ns, phase: 'Pending', labels: { tier: 'front' } });
    expect(web.images.map((i) => [i.registry, i.repository, i.tag, i.digest])).toEqual([
      ['127.0.0.1:5999', 'team/app', undefined, DIGEST],
      ['docker.io', 'library/busybox', '1.36', undefined],
    ]);
    expect(k8s().find((e) => e.type === 'changed' && e.w.kind === 'Deployment')!.w.images[0]!.tag).toBe('v2');
    assertNoDuplicates();
  });

  it('the detector asks for checks and fires one finding per workload; an API-server restart changes nothing', async () => {
    await vi.waitFor(() => expect(ctx.bus.events(topicFor('registry')).length).toBeGreaterThan(0), WAIT);
    const now = new Date().toISOString();
    await ctx.bus.publish(
      makeEvent({
        type: ArtifactVerifiedEvent.type,
        source: 'test',
        subject: `127.0.0.1:5999/team/app@${DIGEST}`,
        data: {
          image: { registry: '127.0.0.1:5999', repository: 'team/app', digest: DIGEST },
          trigger: { source: 'k8s', deliveryId: 'test', action: 'verify' },
          verdict: 'no_policy',
          checkedAt: now,
          validUntil: new Date(Date.now() + 3_600_000).toISOString(),
        },
      }),
    );
    // web runs the digest (plus an unresolved tag: unverifiable); api's current template names a tag only.
    await vi.waitFor(
      () =>
        expect(
          findings()
            .filter((f) => f.rule === RULES.unsigned)
            .map((f) => f.subject),
        ).toEqual([`real/${ns}/Pod/web`]),
      WAIT,
    );
    const before = lines().length;
    const firedBefore = findings().length;
    await restartApiserver();
    await createPod(ns, 'after-restart', [IMAGE]);
    await vi.waitFor(() => expect(lines().slice(before)).toEqual(['started Pod/after-restart']), WAIT);
    await vi.waitFor(() => expect(findings().filter((f) => f.rule === RULES.unsigned)).toHaveLength(2), WAIT);
    expect(
      findings()
        .slice(firedBefore)
        .map((f) => `${f.rule} ${f.subject}`),
    ).toEqual([`${RULES.unsigned} real/${ns}/Pod/after-restart`]);
    assertNoDuplicates();
  });

  it('a 410 (etcd compacted, API server restarted) while watching: the relist publishes only what changed', async () => {
    const before = lines().length;
    const listed = relists();
    await expireResourceVersions();
    await createPod(ns, 'after-410', [IMAGE]);
    await remove(ns, 'pod', 'after-restart');
    await vi.waitFor(() => expect(lines().slice(before).sort()).toEqual(['started Pod/after-410', 'stopped Pod/after-restart']), WAIT);
    await vi.waitFor(
      () =>
        expect(
          findings()
            .filter((f) => f.status === 'resolved')
            .map((f) => f.subject),
        ).toContain(`real/${ns}/Pod/after-restart`),
      WAIT,
    );
    expect(relists()).toBeGreaterThan(listed); // the 410 really led to a relist
    assertNoDuplicates();
  });

  it('daemon restarts: nothing is published again; what changed while down (even past a compaction) is', async () => {
    await stopWatch();
    await detector!.stop();
    const before = lines().length;
    const firedBefore = findings().length;
    await startDetector();
    const listed = relists();
    await startWatch('kubeconfig');
    await new Promise((r) => setTimeout(r, 1000));
    expect(lines().slice(before)).toEqual([]);
    expect(relists()).toBe(listed); // from the stored cursor, no list

    await stopWatch();
    await remove(ns, 'deployment', 'api');
    await remove(ns, 'pod', 'web');
    await createPod(ns, 'while-down', [IMAGE]);
    await expireResourceVersions();
    await startWatch();
    await vi.waitFor(() => expect(lines().slice(before).sort()).toEqual(['started Pod/while-down', 'stopped Deployment/api', 'stopped Pod/web']), WAIT);
    expect(relists()).toBeGreaterThan(listed);
    await vi.waitFor(() => expect(findings().filter((f) => f.rule === RULES.unsigned && f.status === 'firing')).toHaveLength(4), WAIT);
    const fired = findings().slice(firedBefore);
    expect(fired.filter((f) => f.status === 'firing').map((f) => `${f.rule} ${f.subject}`)).toEqual([`${RULES.unsigned} real/${ns}/Pod/while-down`]);
    expect(fired.filter((f) => f.status === 'resolved').map((f) => f.subject)).toContain(`real/${ns}/Pod/web`);
    assertNoDuplicates();
  });
});
