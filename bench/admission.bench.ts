/**
 * Admission webhook latency (collectors.admission) through the real router's HTTPS listener, with
 * the real admission component and collectors.signatures on an EmbeddedBus file:
 *   - warm: AdmissionReviews for a Pod whose digest-pinned image has a cached verdict, sent on an
 *     open-loop schedule at a fixed rate (default 200/s: each request leaves at its slot whatever
 *     the previous ones did, and its latency counts from the slot, so a stall is not hidden);
 *   - baseline, same run, same rate, same TLS keep-alive client and bearer auth: a no-op route on
 *     the same listener answering a fixed AdmissionReview (what the router, TLS and JSON cost);
 *   - cold: a fresh tagged image on the local OCI registry (scripts/services/ocireg.sh) per request:
 *     tag resolution, a verify request on the bus, discovery and verification by
 *     collectors.signatures, the verdict back, the decision recorded — one at a time.
 * Latencies in µs (p50/p99 over all requests of all rounds).
 *
 *   npx tsx bench/admission.bench.ts [--rate 200] [--seconds 5] [--cold 20]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { admissionModule } from '../collectors/k8s/module.js';
import { signaturesModule } from '../collectors/signatures/module.js';
import { type ArtifactVerified, ArtifactVerifiedEvent, type HttpRoute, makeEvent, silentLogger, type Component } from '../core/index.js';
import { testContext } from '../core/testing/index.js';
import { HttpServer } from '../daemon/http/server.js';
import { createNamespace, kubeEnv, kubeRequest, registerWebhook, uniqueName } from '../test/helpers/kube.js';
import { pushImage } from '../test/helpers/oci.js';
import { selfSignedServingCert } from '../test/helpers/serving-cert.js';
import { report } from './harness/report.js';
import { benchSpec } from './harness/specs.js';

const arg = (name: string, dflt: number): number => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || dflt;
const RATE = arg('rate', 200);
const SECONDS = arg('seconds', 5);
const COLD = arg('cold', 20);
const KUBE_REQUESTS = arg('kube', 200);
const host = process.env.CHAINWATCH_TEST_OCIREG_HOST;
if (!host) throw new Error('CHAINWATCH_TEST_OCIREG_HOST is unset: run through `npm run bench -- admission` (starts ocireg)');
/** With the kube service (scripts/services/kube.sh) the API server is a client too: its webhook token, its CA's serving certificate. */
const KUBE = process.env.CHAINWATCH_TEST_KUBE_URL !== undefined;
const TOKEN = process.env.CHAINWATCH_TEST_KUBE_WEBHOOK_TOKEN ?? 'bench-admission-token-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'cw-bench-admission-'));
const selfSigned = selfSignedServingCert(dir);
const material = KUBE
  ? { cert: kubeEnv().webhookCert, key: kubeEnv().webhookKey }
  : { cert: readFileSync(selfSigned.cert, 'utf8'), key: readFileSync(selfSigned.key, 'utf8') };

const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') });
await bus.start();
const ctx = { ...testContext(dir, Date.now()), bus, state: bus.stateStore(), now: () => new Date() };
const moduleHost = { dataDir: dir, instance: 'bench', publicUrl: undefined, facts: {} };
const admission = admissionModule.section!.schema.parse({ bearer: [{ token: TOKEN, principal: 'kube-apiserver' }] })!;
const signatures = signaturesModule.section!.schema.parse({ trust: { keyless: false } });
const components: Component[] = [
  ...admissionModule.components!(admission, moduleHost).map((c) => c.create(ctx)),
  ...signaturesModule.components!(signatures, moduleHost).map((c) => c.create(ctx)),
];
for (const c of components) await c.start();

const routes = admissionModule.routes!(admission, moduleHost);
const fixed = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'x', allowed: true } });
const noop: HttpRoute = { ...routes[0]!, name: 'bench.noop', path: '/noop', handler: async () => ({ status: 200, body: JSON.parse(fixed) as unknown }) };
const server = new HttpServer({
  ready: () => ({ ready: true, checks: {} }),
  metrics: async () => ({ body: '', contentType: 'text/plain' }),
  logger: silentLogger,
});
server.setRoutes([...routes, noop]);
const { tlsPort } = await server.start('127.0.0.1', 0, { host: '127.0.0.1', port: 0, material });
const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: KUBE ? kubeEnv().ca : material.cert });

function post(path: string, body: string): Promise<{ status: number; allowed: boolean | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: tlsPort, path, method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, allowed: (JSON.parse(text) as { response?: { allowed?: boolean } }).response?.allowed }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let uid = 0;
const review = (image: string): string =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `b-${uid++}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'apps',
      name: 'p',
      object: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image }] } },
    },
  });

/** Latencies (µs) of requests sent on an open-loop schedule at RATE/s for SECONDS. */
async function fixedRate(path: string, body: () => string): Promise<number[]> {
  const n = RATE * SECONDS;
  const gap = 1000 / RATE;
  const t0 = performance.now() + 20;
  const out: number[] = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const slot = t0 + i * gap;
      const wait = slot - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const res = await post(path, body());
      if (res.status !== 200 || res.allowed !== true) throw new Error(`${path}: HTTP ${res.status}, allowed ${res.allowed}`);
      out.push((performance.now() - slot) * 1000);
    }),
  );
  return out;
}

// A verdict in the cache, as collectors.signatures publishes it.
const warmDigest = `sha256:${'ab'.repeat(32)}`;
const now = Date.now();
const verdict: ArtifactVerified = {
  image: { registry: host, repository: 'bench/warm', digest: warmDigest },
  tags: [],
  trigger: { source: 'cli', deliveryId: 'bench', action: 'verify' },
  signatures: [],
  attestations: [],
  policies: [],
  verdict: 'pass',
  discoveryErrors: [],
  checkedAt: new Date(now).toISOString(),
  validUntil: new Date(now + 3_600_000).toISOString(),
};
await bus.publish(makeEvent({ type: ArtifactVerifiedEvent.type, source: 'bench', data: verdict }));
const warmImage = `${host}/bench/warm@${warmDigest}`;
for (;;) {
  if ((await post('/admission/validate', review(warmImage))).allowed === true) break;
  await new Promise((r) => setTimeout(r, 50));
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const warm: number[] = [];
const base: number[] = [];
await fixedRate('/noop', () => fixed); // warm-up of sockets and JIT
await fixedRate('/admission/validate', () => review(warmImage));
for (let r = 0; r < 2; r++) {
  base.push(...(await fixedRate('/noop', () => fixed)));
  warm.push(...(await fixedRate('/admission/validate', () => review(warmImage))));
}

// Cold: a fresh image per request (a new digest: nothing cached, the tag never resolved before).
const cold: number[] = [];
let coldInTime = 0;
const repo = `bench/cold-${Date.now().toString(36)}`;
for (let i = 0; i < COLD; i++) {
  await pushImage(host, repo, `v${i}`);
  const t = performance.now();
  const res = await post('/admission/validate', review(`${host}/${repo}:v${i}`));
  cold.push((performance.now() - t) * 1000);
  if (res.status !== 200) throw new Error(`cold: HTTP ${res.status}`);
  // No policy applies: allowed means the verdict came before the deadline (onTimeout is deny).
  if (res.allowed === true) coldInTime++;
}

// Through the real API server: a server-side dry-run Pod create (nothing stored, the webhook is
// called) in a namespace the webhook selects vs one it does not, same API server, same run.
const viaApi: number[] = [];
const apiOnly: number[] = [];
if (KUBE) {
  const label = uniqueName('bench');
  const selected = await createNamespace(uniqueName('bench-adm'), { 'chainwatch-bench': label });
  const other = await createNamespace(uniqueName('bench-none'));
  const unregister = await registerWebhook({
    kind: 'validating',
    name: uniqueName('chainwatch-bench'),
    url: `https://127.0.0.1:${tlsPort}/admission/validate`,
    namespaceSelector: { matchLabels: { 'chainwatch-bench': label } },
  });
  const dryRun = async (ns: string): Promise<number> => {
    const t = performance.now();
    const r = await kubeRequest('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: uniqueName('p') },
      spec: { containers: [{ name: 'app', image: warmImage }] },
    });
    if (r.status !== 201) throw new Error(`dry-run create in ${ns}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    return (performance.now() - t) * 1000;
  };
  // The API server learns of the webhook a moment after it is created: wait until a decision shows.
  const answered = (): number => ctx.metrics.get('admission_decisions_total', { webhook: 'validate', outcome: 'allowed' });
  const before = answered();
  while (answered() === before) {
    await dryRun(selected);
    await new Promise((r) => setTimeout(r, 100));
  }
  const n = Math.max(50, Math.round(KUBE_REQUESTS));
  for (let i = 0; i < n; i++) {
    apiOnly.push(await dryRun(other));
    viaApi.push(await dryRun(selected));
  }
  await unregister();
}

agent.destroy();
await server.stop();
for (const c of components.reverse()) await c.stop();
await bus.stop();
rmSync(dir, { recursive: true, force: true });

report(benchSpec('admission'), {
  warmP50: pct(warm, 50),
  warmP99: pct(warm, 99),
  noopP50: pct(base, 50),
  noopP99: pct(base, 99),
  coldP50: pct(cold, 50),
  coldP99: pct(cold, 99),
  deadline: admission.deadline * 1000,
  coldInTime,
  coldRequests: cold.length,
  rate: RATE,
  requests: warm.length,
  ...(KUBE ? { apiP50: pct(viaApi, 50), apiP99: pct(viaApi, 99), apiBaseP50: pct(apiOnly, 50), apiBaseP99: pct(apiOnly, 99) } : {}),
});
