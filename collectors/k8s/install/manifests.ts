import { stringify } from 'yaml';

/**
 * What `chainwatch k8s manifests` prints: everything a cluster needs to run chainwatch as its
 * image admission webhook and cluster watch, as plain objects (pure; the command renders them).
 *
 *   Service ──> Deployment (the daemon, serving cert from a kubernetes.io/tls Secret)
 *   ServiceAccount ──ClusterRoleBinding──> ClusterRole (list/watch what the watch reads, nothing else)
 *   ValidatingWebhookConfiguration (+ MutatingWebhookConfiguration) ──> Service /admission/validate|mutate
 *
 * The webhook configurations exclude the daemon's own namespace and kube-system by default, so a
 * fail-closed webhook can never block the daemon's own restart nor the control plane's.
 */
export interface ManifestOptions {
  namespace: string;
  /** Names the Service, ServiceAccount, Deployment and (with the namespace) the cluster-wide objects. */
  service: string;
  /** The Service's port (the API server calls it); the daemon's HTTPS listener port is TLS_PORT. */
  port: number;
  /** PEM of the CA that issued the serving certificate; without it the API server's own trust is used. */
  caBundlePem?: string | undefined;
  failurePolicy: 'Fail' | 'Ignore';
  timeoutSeconds: number;
  mutating: boolean;
  /** Extra namespace selector requirements, ANDed with the default exclusions. */
  namespaceSelector: readonly LabelRequirement[];
  image: string;
  /** The kubernetes.io/tls Secret holding the serving certificate (tls.crt, tls.key). */
  tlsSecret: string;
  /** The Secret (key `token`) holding the bearer token the API server sends to the webhook; the user creates it. */
  tokenSecret: string;
}

export interface LabelRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/**
 * What the cluster watch reads (collectors/k8s): list+watch only, across namespaces. Namespaces also
 * `get`, for their labels (namespace selectors). No write verb anywhere, no Secrets, no pods/exec.
 */
export const WATCHED: readonly { apiGroup: string; resources: readonly string[]; verbs: readonly string[] }[] = [
  { apiGroup: '', resources: ['pods'], verbs: ['list', 'watch'] },
  { apiGroup: '', resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
  { apiGroup: 'apps', resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], verbs: ['list', 'watch'] },
  { apiGroup: 'batch', resources: ['jobs', 'cronjobs'], verbs: ['list', 'watch'] },
];

/**
 * What admission sees: Pods (and their ephemeral containers, which `kubectl debug` adds by UPDATE)
 * and every workload kind that embeds a pod template, on CREATE and UPDATE.
 */
export const ADMITTED: readonly { apiGroup: string; resources: readonly string[] }[] = [
  { apiGroup: '', resources: ['pods', 'pods/ephemeralcontainers'] },
  { apiGroup: 'apps', resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
  { apiGroup: 'batch', resources: ['jobs', 'cronjobs'] },
];

/** The daemon's listeners inside the pod: plain (probes, metrics) and HTTPS (admission). */
export const HTTP_PORT = 8080;
export const TLS_PORT = 8443;
export const TLS_MOUNT = '/etc/chainwatch/tls';
export const VALIDATE_PATH = '/admission/validate';
export const MUTATE_PATH = '/admission/mutate';
/** The key of the token Secret, and the variable the Deployment maps it to (read by the config's `{ env }` reference). */
export const TOKEN_KEY = 'token';
export const TOKEN_ENV = 'ADMISSION_BEARER_TOKEN';
/** The in-cluster API server and the ServiceAccount files the kubelet projects (the token rotates: read as a file). */
export const IN_CLUSTER = {
  server: 'https://kubernetes.default.svc',
  tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
} as const;
/** The cluster name in admission decisions and workload events: the same, so the workloads detector can join them. */
export const CLUSTER = 'default';

const NAME_LABEL = 'kubernetes.io/metadata.name';

export function manifests(o: ManifestOptions): Record<string, unknown>[] {
  const labels = { 'app.kubernetes.io/name': 'chainwatch', 'app.kubernetes.io/instance': o.service };
  const meta = (name: string, namespaced: boolean) => ({ name, ...(namespaced ? { namespace: o.namespace } : {}), labels });
  const clusterName = `${o.namespace}-${o.service}`;
  const out: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(o.service, true) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(clusterName, false),
      rules: WATCHED.map((w) => ({ apiGroups: [w.apiGroup], resources: [...w.resources], verbs: [...w.verbs] })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(clusterName, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
      subjects: [{ kind: 'ServiceAccount', name: o.service, namespace: o.namespace }],
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(o.service, true),
      spec: { selector: labels, ports: [{ name: 'https', port: o.port, targetPort: 'https', protocol: 'TCP' }] },
    },
    deployment(o, labels, meta(o.service, true)),
    webhookConfiguration(o, 'ValidatingWebhookConfiguration', clusterName, labels),
  ];
  if (o.mutating) out.push(webhookConfiguration(o, 'MutatingWebhookConfiguration', clusterName, labels));
  return out;
}

/** One multi-document YAML stream, in apply order (identities and RBAC before what uses them, webhooks last). */
export function renderManifests(o: ManifestOptions, header?: string): string {
  // YAML 1.1 rules: kubectl reads YAML 1.1, where a plain `on`, `yes` or `y` is a boolean; the 1.2
  // default would leave a label value "on" unquoted and the API server would refuse the object.
  const docs = manifests(o).map((d) => stringify(d, { lineWidth: 0, version: '1.1' }));
  return `${header ? `${header.trimEnd()}\n` : ''}---\n${docs.join('---\n')}`;
}

function webhookConfiguration(o: ManifestOptions, kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration', name: string, labels: object) {
  const mutating = kind === 'MutatingWebhookConfiguration';
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name, labels },
    webhooks: [
      {
        name: mutating ? 'pin.images.chainwatch.dev' : 'verify.images.chainwatch.dev',
        clientConfig: {
          service: { namespace: o.namespace, name: o.service, path: mutating ? MUTATE_PATH : VALIDATE_PATH, port: o.port },
          ...(o.caBundlePem ? { caBundle: Buffer.from(o.caBundlePem).toString('base64') } : {}),
        },
        rules: ADMITTED.map((a) => ({
          apiGroups: [a.apiGroup],
          apiVersions: ['v1'],
          operations: ['CREATE', 'UPDATE'],
          resources: [...a.resources],
          scope: 'Namespaced',
        })),
        // Equivalent: a workload sent through another API version (none today) is still converted and checked.
        matchPolicy: 'Equivalent',
        namespaceSelector: {
          matchExpressions: [{ key: NAME_LABEL, operator: 'NotIn', values: [...new Set([o.namespace, 'kube-system'])] }, ...o.namespaceSelector],
        },
        // Decisions are recorded as events by the daemon, never as changes to cluster objects.
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: o.timeoutSeconds,
        failurePolicy: o.failurePolicy,
        // Pinning a tag to its digest is idempotent: no reason to call again after other mutations.
        ...(mutating ? { reinvocationPolicy: 'Never' } : {}),
      },
    ],
  };
}

function deployment(o: ManifestOptions, labels: Record<string, string>, metadata: object) {
  const env = {
    CHAINWATCH_HTTP__HOST: '0.0.0.0',
    CHAINWATCH_HTTP__PORT: String(HTTP_PORT),
    CHAINWATCH_HTTP__TLS__HOST: '0.0.0.0',
    CHAINWATCH_HTTP__TLS__PORT: String(TLS_PORT),
    // The kubelet swaps a Secret's files in place when it changes; the daemon reloads them (no restart).
    CHAINWATCH_HTTP__TLS__CERT: `${TLS_MOUNT}/tls.crt`,
    CHAINWATCH_HTTP__TLS__KEY: `${TLS_MOUNT}/tls.key`,
    CHAINWATCH_DATA_DIR: '/var/lib/chainwatch',
    // The certificate inventory, which includes the serving certificate: it pages before the webhook's expires.
    CHAINWATCH_DETECTORS__CERT_EXPIRY__ENABLED: 'true',
    // The routes the webhook configurations call; without this section they would 404 and a
    // fail-closed webhook would refuse every admitted object. The API server authenticates with
    // the bearer token of its AdmissionConfiguration (docs/kubernetes.md), the same Secret's value.
    CHAINWATCH_COLLECTORS__ADMISSION__CLUSTER: CLUSTER,
    CHAINWATCH_COLLECTORS__ADMISSION__BEARER: JSON.stringify([{ token: { env: TOKEN_ENV }, principal: 'kube-apiserver' }]),
    // The daemon answers before the API server gives up, so its decision (and its record) wins.
    CHAINWATCH_COLLECTORS__ADMISSION__DEADLINE: o.timeoutSeconds > 2 ? '2s' : `${o.timeoutSeconds * 1000 - 250}ms`,
    CHAINWATCH_COLLECTORS__ADMISSION__MUTATE: String(o.mutating),
    // Who answers admission's verify requests: without it every unknown digest would wait out the
    // deadline and follow onTimeout. With no policies configured (--config adds them) the verdict is
    // no_policy, which admission allows (onNoPolicy: allow) — installing never blocks deploys by itself.
    CHAINWATCH_COLLECTORS__SIGNATURES__ENABLED: 'true',
    // The cluster watch, as the ServiceAccount the RBAC above is bound to.
    CHAINWATCH_COLLECTORS__K8S__CLUSTERS: JSON.stringify([{ name: CLUSTER, ...IN_CLUSTER }]),
    CHAINWATCH_DETECTORS__WORKLOADS__ENABLED: 'true',
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: o.service,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'chainwatch',
              image: o.image,
              args: ['run'],
              env: [
                ...Object.entries(env).map(([name, value]) => ({ name, value })),
                { name: TOKEN_ENV, valueFrom: { secretKeyRef: { name: o.tokenSecret, key: TOKEN_KEY } } },
              ],
              ports: [
                { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
                { name: 'https', containerPort: TLS_PORT, protocol: 'TCP' },
              ],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 6 },
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'tls', mountPath: TLS_MOUNT, readOnly: true },
                { name: 'data', mountPath: '/var/lib/chainwatch' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'tls', secret: { secretName: o.tlsSecret } },
            // An emptyDir loses the bus and the audit trail with the pod: see docs/kubernetes.md for a volume claim.
            { name: 'data', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}
