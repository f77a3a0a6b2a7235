import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { startRecordingServer } from '../../core/testing/index.js';
import { service } from './services.js';

/**
 * The real Kubernetes API server of scripts/services/kube.sh (kube-apiserver v1.37.2 on etcd v3.7.3,
 * no kubelet and no controller-manager: Pods stay Pending, Deployments get no ReplicaSets, a deleted
 * namespace stays Terminating), driven with the real kubectl it builds. Suites declare it with
 * `kube` (below) and skip on `kube.skip`. Every name a suite makes should be unique
 * (uniqueNamespace): the server lives for the whole test run and namespaces are never reclaimed.
 */
export const kube = service('CHAINWATCH_TEST_KUBE_URL', 'Kubernetes API server (kube-apiserver + etcd)');

export interface KubeEnv {
  /** https://127.0.0.1:<port> */
  url: string;
  /** Bearer token of `admin` (system:masters). */
  token: string;
  /** A user with no roles at all (`chainwatch-test`) and its bearer token: bind RBAC to it to test least privilege. */
  user: string;
  userToken: string;
  /** PEM of the CA that signed the API server's and the webhook's serving certificates. */
  ca: string;
  caFile: string;
  /** A serving certificate + key for localhost/127.0.0.1 under that CA, for test webhook servers. */
  webhookCert: string;
  webhookKey: string;
  /** kubeconfig (admin) for kubectl and for clients that load one. */
  kubeconfig: string;
  kubectl: string;
  etcdUrl: string;
  /** scripts/services/kube.sh (restart-apiserver, compact). */
  script: string;
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is unset (scripts/services/kube.sh exports it)`);
  return v;
}

let cached: KubeEnv | undefined;
/** The service's variables, read once. Call only inside a suite that is not skipped. */
export function kubeEnv(): KubeEnv {
  cached ??= {
    url: need('CHAINWATCH_TEST_KUBE_URL'),
    token: need('CHAINWATCH_TEST_KUBE_TOKEN'),
    user: need('CHAINWATCH_TEST_KUBE_USER'),
    userToken: need('CHAINWATCH_TEST_KUBE_USER_TOKEN'),
    caFile: need('CHAINWATCH_TEST_KUBE_CA'),
    ca: readFileSync(need('CHAINWATCH_TEST_KUBE_CA'), 'utf8'),
    webhookCert: readFileSync(need('CHAINWATCH_TEST_KUBE_WEBHOOK_CERT'), 'utf8'),
    webhookKey: readFileSync(need('CHAINWATCH_TEST_KUBE_WEBHOOK_KEY'), 'utf8'),
    kubeconfig: need('CHAINWATCH_TEST_KUBE_CONFIG'),
    kubectl: need('CHAINWATCH_TEST_KUBE_KUBECTL'),
    etcdUrl: need('CHAINWATCH_TEST_KUBE_ETCD_URL'),
    script: need('CHAINWATCH_TEST_KUBE_SCRIPT'),
  };
  return cached;
}

const exec = promisify(execFile);

/** Runs the real kubectl (admin kubeconfig) and returns its stdout; a non-zero exit rejects (stderr in the error). */
export async function kubectl(args: string[], stdin?: string): Promise<string> {
  const env = kubeEnv();
  const child = exec(env.kubectl, ['--kubeconfig', env.kubeconfig, ...args], { maxBuffer: 64 << 20 });
  if (stdin !== undefined) child.child.stdin!.end(stdin);
  return (await child).stdout;
}

/**
 * Writes a kubeconfig for the service with the given bearer token (default: the role-less user's),
 * for a daemon or client that should run with less than admin. Returns the path.
 */
export function writeKubeconfig(path: string, token: string = kubeEnv().userToken): string {
  const env = kubeEnv();
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'chainwatch-test', cluster: { server: env.url, 'certificate-authority': env.caFile } }],
    users: [{ name: 'user', user: { token } }],
    contexts: [{ name: 'chainwatch-test', context: { cluster: 'chainwatch-test', user: 'user' } }],
    'current-context': 'chainwatch-test',
  };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

/**
 * kubectl apply of YAML text or of objects. Objects go as JSON documents of a YAML stream: kubectl
 * reads YAML 1.1, where a plain `y` or `no` is a boolean (a Pod named `y` would not decode).
 */
export async function apply(manifest: string | object | object[]): Promise<string> {
  const text = typeof manifest === 'string' ? manifest : (Array.isArray(manifest) ? manifest : [manifest]).map((o) => JSON.stringify(o)).join('\n---\n');
  return kubectl(['apply', '-f', '-'], text);
}

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/**
 * Creates a namespace and its `default` ServiceAccount (there is no controller-manager to make it,
 * and the ServiceAccount admission plugin refuses Pods without it). Returns the name.
 */
export async function createNamespace(name: string = uniqueName('cw'), labels: Record<string, string> = {}): Promise<string> {
  await apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } },
  ]);
  return name;
}

export interface WebhookOptions {
  kind: 'validating' | 'mutating';
  /** The configuration's name (cluster-wide: make it unique). */
  name: string;
  /** https URL the API server calls. */
  url: string;
  /** PEM of the CA that signed the webhook's serving certificate (default: the service's CA). */
  caBundle?: string;
  namespaceSelector?: object;
  objectSelector?: object;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
  /** Default: CREATE and UPDATE of Pods and of every workload kind with a pod template. */
  rules?: object[];
}

export const WORKLOAD_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
  {
    apiGroups: ['apps'],
    apiVersions: ['v1'],
    operations: ['CREATE', 'UPDATE'],
    resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
  },
  { apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['jobs', 'cronjobs'] },
];

/** Registers a Validating- or MutatingWebhookConfiguration with one webhook; returns its removal. */
export async function registerWebhook(o: WebhookOptions): Promise<() => Promise<void>> {
  const kind = o.kind === 'validating' ? 'ValidatingWebhookConfiguration' : 'MutatingWebhookConfiguration';
  await apply({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name: o.name },
    webhooks: [
      {
        name: `${o.name}.chainwatch.test`,
        clientConfig: { url: o.url, caBundle: Buffer.from(o.caBundle ?? kubeEnv().ca).toString('base64') },
        rules: o.rules ?? WORKLOAD_RULES,
        ...(o.namespaceSelector ? { namespaceSelector: o.namespaceSelector } : {}),
        ...(o.objectSelector ? { objectSelector: o.objectSelector } : {}),
        failurePolicy: o.failurePolicy ?? 'Fail',
        timeoutSeconds: o.timeoutSeconds ?? 10,
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        ...(o.kind === 'mutating' ? { reinvocationPolicy: 'Never' } : {}),
      },
    ],
  });
  return async () => {
    await kubectl(['delete', kind, o.name, '--ignore-not-found']);
  };
}

/**
 * The API server learns of a new webhook configuration through an informer, a moment after the
 * create: this submits server-side dry-run Pods (webhooks are called for dry runs; nothing is stored)
 * until `called()` says the webhook saw one. Needs a webhook whose rules match Pod CREATE in `namespace`.
 */
export async function untilWebhookActive(namespace: string, called: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!called()) {
    if (Date.now() > deadline) throw new Error(`webhook not called within ${timeoutMs} ms`);
    await kubectl(['-n', namespace, 'run', uniqueName('probe'), '--image=busybox:1.36', '--restart=Never', '--dry-run=server']).catch(() => '');
    if (!called()) await new Promise((r) => setTimeout(r, 250));
  }
}

const containers = (images: string[]) => images.map((image, i) => ({ name: `c${i}`, image }));

/** A Pod with one container per image; it stays Pending (no kubelet). */
export function podManifest(namespace: string, name: string, images: string[], labels: Record<string, string> = {}): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: containers(images) } };
}

export function deploymentManifest(namespace: string, name: string, images: string[], labels: Record<string, string> = {}): object {
  const selector = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: { metadata: { labels: { ...selector, ...labels } }, spec: { containers: containers(images) } },
    },
  };
}

/** Creates the object (kubectl create: fails when it exists or an admission webhook denies it); returns the stored object. */
export async function create(manifest: object): Promise<KubeObject> {
  return JSON.parse(await kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify(manifest))) as KubeObject;
}

export const createPod = (namespace: string, name: string, images: string[], labels?: Record<string, string>) =>
  create(podManifest(namespace, name, images, labels));
export const createDeployment = (namespace: string, name: string, images: string[], labels?: Record<string, string>) =>
  create(deploymentManifest(namespace, name, images, labels));

/** Deletes and waits until it is gone (an unscheduled Pod goes at once). */
export async function remove(namespace: string, kind: string, name: string): Promise<void> {
  await kubectl(['-n', namespace, 'delete', kind, name, '--ignore-not-found', '--wait=true']);
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

/** A raw request to the API server as admin (or with `token`), JSON in and out. */
export async function kubeRequest(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: unknown }> {
  const env = kubeEnv();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, env.url),
      { method, ca: env.ca, headers: { authorization: `Bearer ${token ?? env.token}`, 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string };
}

export interface RawWatch {
  /** The HTTP status of the watch response (a watch that cannot start may answer 410 directly). */
  status: Promise<number>;
  events: WatchEvent[];
  /** Settles when the server (or stop()) ends the stream. */
  ended: Promise<void>;
  stop(): void;
}

/**
 * A plain `?watch=1` stream (what a daemon's watch sees), events collected as they arrive.
 * `path` is the collection, e.g. /api/v1/namespaces/ns/pods; `query` adds resourceVersion etc.
 */
export function rawWatch(path: string, query: Record<string, string> = {}): RawWatch {
  const env = kubeEnv();
  const url = new URL(path, env.url);
  url.searchParams.set('watch', '1');
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const events: WatchEvent[] = [];
  let setStatus!: (s: number) => void;
  let setEnded!: () => void;
  const status = new Promise<number>((r) => (setStatus = r));
  const ended = new Promise<void>((r) => (setEnded = r));
  const req = httpsRequest(url, { ca: env.ca, headers: { authorization: `Bearer ${env.token}` } }, (res) => {
    setStatus(res.statusCode ?? 0);
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) events.push(JSON.parse(line) as WatchEvent);
      }
    });
    res.on('end', setEnded);
    res.on('close', setEnded);
    res.on('error', setEnded);
  });
  req.on('error', () => {
    setStatus(0);
    setEnded();
  });
  req.end();
  return { status, events, ended, stop: () => req.destroy() };
}

const script = async (cmd: string) => exec('bash', [kubeEnv().script, cmd]);

/**
 * Restarts kube-apiserver alone (etcd and everything stored stay); open watches are closed by the
 * server. Resolves when /readyz answers again, with what the script logged (stderr).
 */
export async function restartApiserver(): Promise<string> {
  return (await script('restart-apiserver')).stderr;
}

/** Compacts etcd's history up to its current revision (etcd's gRPC gateway); returns that revision. */
export async function compactEtcd(): Promise<number> {
  return Number((await script('compact')).stdout.trim());
}

/**
 * Makes every resourceVersion handed out so far too old: compacts etcd, then restarts the API
 * server so its watch cache starts over at the current revision. A watch from an older
 * resourceVersion then answers 200 with one ERROR event, a Status with code 410, reason Expired
 * (measured: the restart alone already does that, the compaction makes it hold for reads that
 * bypass the watch cache too).
 */
export async function expireResourceVersions(): Promise<void> {
  await compactEtcd();
  await restartApiserver();
}

export interface WebhookServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** Every AdmissionReview received, in order. */
  reviews: AdmissionReview[];
  stop(): Promise<void>;
}

export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request: {
    uid: string;
    kind: { group: string; version: string; kind: string };
    operation: string;
    namespace?: string;
    name?: string;
    dryRun?: boolean;
    object?: KubeObject;
    userInfo: { username: string };
  };
}

/** `patch` (a mutating webhook's JSON Patch operations) is sent base64-encoded with patchType JSONPatch. */
export type AdmissionAnswer = { allowed: boolean; message?: string; warnings?: string[]; patch?: object[] };

/**
 * A tiny HTTPS admission webhook (core/testing's recording server with the service's webhook
 * certificate, so the service's CA is its caBundle) answering each AdmissionReview with `decide`.
 */
export async function startWebhookServer(decide: (r: AdmissionReview) => AdmissionAnswer): Promise<WebhookServer> {
  const env = kubeEnv();
  const reviews: AdmissionReview[] = [];
  const server = await startRecordingServer(
    (req) => {
      const review = req.json as AdmissionReview;
      reviews.push(review);
      const a = decide(review);
      const response = {
        uid: review.request.uid,
        allowed: a.allowed,
        ...(a.warnings ? { warnings: a.warnings } : {}),
        ...(a.patch ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(a.patch)).toString('base64') } : {}),
        ...(a.allowed ? {} : { status: { code: 403, message: a.message ?? 'denied by the test webhook' } }),
      };
      return { status: 200, body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response } };
    },
    { tls: { cert: env.webhookCert, key: env.webhookKey } },
  );
  return { url: server.url, reviews, stop: () => server.stop() };
}
