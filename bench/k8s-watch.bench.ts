/**
 * collectors.k8s: watch events per second through the REAL API server (scripts/services/kube.sh).
 * Each round: with both readers stopped at the same resourceVersion, N Pods are created through the
 * API (N POSTs, 8 in flight); then both readers watch from that resourceVersion and replay the N
 * ADDED events from the API server's watch cache as fast as they can:
 *   - chainwatch: the cluster watch component (@kubernetes/client-node Watch, describe + diff
 *     against the snapshot, k8s.workload.started published on the embedded SQLite bus, snapshot
 *     records and cursor in its state store): time until the N-th event is durably published;
 *   - baseline: a raw HTTPS `?watch=1` reader (node:https, split lines, JSON.parse), same events.
 * Tag resolution is off (digest-pinned images): the figure is the watch path, not a registry.
 *
 *   npx tsx bench/k8s-watch.bench.ts [--pods 500] [--rounds 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { createK8sWatches } from '../collectors/k8s/index.js';
import { type ComponentContext, silentLogger, topicFor } from '../core/index.js';
import { MemoryKeyProvider, MemoryMetrics } from '../core/testing/index.js';
import { createNamespace, kubeEnv, kubeRequest, podManifest, rawWatch } from '../test/helpers/kube.js';
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';

const arg = (name: string, dflt: number): number => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || dflt;
const N = arg('pods', 500);
const rounds = arg('rounds', 3);
if (!process.env.CHAINWATCH_TEST_KUBE_URL) throw new Error('CHAINWATCH_TEST_KUBE_URL is unset: run through `npm run bench -- k8s-watch` (starts kube)');
const env = kubeEnv();
const IMAGE = `127.0.0.1:5999/bench/app@sha256:${'be'.repeat(32)}`;

async function createPods(ns: string, prefix: string): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < N) {
      const i = next++;
      const r = await kubeRequest('POST', `/api/v1/namespaces/${ns}/pods`, podManifest(ns, `${prefix}-${i}`, [IMAGE]));
      if (r.status !== 201) throw new Error(`pod create: HTTP ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function currentRv(ns: string): Promise<string> {
  const r = await kubeRequest('GET', `/api/v1/namespaces/${ns}/pods?limit=1`);
  return (r.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

async function round(i: number): Promise<{ cw: number; raw: number; relists: number }> {
  const ns = await createNamespace();
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-k8s-'));
  const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: 50, maxBatch: 1000 }), path: join(dir, 'bus.db') });
  await bus.start();
  const state = bus.stateStore();
  const metrics = new MemoryMetrics();
  const ctx: ComponentContext = {
    bus,
    state,
    logger: silentLogger,
    metrics,
    dataDir: dir,
    keys: new MemoryKeyProvider(),
    fail: (err) => console.error('component failed', err),
    now: () => new Date(),
  };
  const config = {
    clusters: [{ name: 'bench', server: env.url, token: env.token, caFile: env.caFile, namespaces: [ns], kinds: ['Pod' as const] }],
    resolve: { enabled: false },
  };
  // First run: lists the (empty) namespace and stores the cursor; then stopped, as a daemon would be.
  let [w] = createK8sWatches(config, ctx);
  await w!.start();
  while (!w!.isSynced()) await new Promise((r) => setTimeout(r, 20));
  await w!.stop();
  const rv = await currentRv(ns);
  await createPods(ns, `p${i}`);

  // Baseline: the raw stream of the same N events from the same resourceVersion.
  const t0 = performance.now();
  const raw = rawWatch(`/api/v1/namespaces/${ns}/pods`, { resourceVersion: rv });
  while (raw.events.filter((e) => e.type === 'ADDED').length < N) await new Promise((r) => setImmediate(r));
  const rawMs = performance.now() - t0;
  raw.stop();

  let published = 0;
  const sub = await bus.subscribe({ group: 'bench', topics: [topicFor('k8s')], fromBeginning: true, handler: async () => void published++ });
  const t1 = performance.now();
  [w] = createK8sWatches(config, ctx);
  await w!.start();
  // Published = durable on the bus: count what a consumer reads back (the bus polls every 50 ms).
  while (published < N) await new Promise((r) => setTimeout(r, 5));
  const cwMs = performance.now() - t1;
  const relists = metrics.get('k8s_watch_events_total', { cluster: 'bench', kind: 'Pod', type: 'relist' });
  await w!.stop();
  await sub.stop();
  state.close();
  await bus.stop();
  rmSync(dir, { recursive: true, force: true });
  return { cw: (N / cwMs) * 1000, raw: (N / rawMs) * 1000, relists };
}

const results = [];
for (let i = 0; i < rounds; i++) results.push(await round(i));
const relists = results.reduce((a, r) => a + r.relists, 0);
report(
  benchSpec('k8s-watch'),
  {
    chainwatch: median(results.map((r) => r.cw)),
    raw: median(results.map((r) => r.raw)),
    pairedRatio: median(results.map((r) => r.cw / r.raw)),
    pods: N,
  },
  relists > 1 * rounds ? [`${relists} relists in ${rounds} rounds: the watch cache did not cover the replay`] : [],
);
