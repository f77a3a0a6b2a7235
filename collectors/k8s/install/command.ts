import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ChainwatchError, type CommandSpec, EXIT, numberOption, UsageError } from '../../../core/index.js';
import { loadX509 } from '../../../trust/index.js';
import { type LabelRequirement, type ManifestOptions, renderManifests } from './manifests.js';

/**
 * `chainwatch k8s manifests --namespace NS --service NAME [...]`: prints the install manifests
 * (docs/kubernetes.md). Exit 0 printed, 1 the CA file is unreadable or holds no certificate, 2 usage.
 */
export type K8sInstallErrorCode = 'K8S_CA_UNREADABLE' | 'K8S_CA_INVALID';
export class K8sInstallError extends ChainwatchError<K8sInstallErrorCode> {}

// RFC 1123 label: what Kubernetes accepts as a namespace and a Service name.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// A label key: optional DNS-subdomain prefix and a name of up to 63 characters.
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export const DEFAULTS = { port: 443, timeoutSeconds: 5, image: 'chainwatch:latest' } as const;

export const manifestsCommand: CommandSpec = {
  name: 'k8s manifests',
  summary: 'Print the Kubernetes install manifests: webhook configurations, RBAC, Service, Deployment',
  options: {
    namespace: { type: 'string', placeholder: 'NS', description: 'namespace the daemon runs in (required; excluded from admission)' },
    service: { type: 'string', placeholder: 'NAME', description: 'name of the Service, ServiceAccount and Deployment (required)' },
    port: { type: 'string', placeholder: 'N', description: `Service port the API server calls (default ${DEFAULTS.port})` },
    'ca-file': { type: 'string', placeholder: 'PEM', description: "CA certificate(s) that issued the serving certificate: the webhooks' caBundle" },
    'fail-open': { type: 'boolean', description: 'admit when the webhook cannot be reached (failurePolicy Ignore)' },
    'fail-closed': { type: 'boolean', description: 'deny when the webhook cannot be reached (failurePolicy Fail; the default)' },
    'timeout-seconds': { type: 'string', placeholder: 'N', description: `API server's timeout per admission call, 1-30 (default ${DEFAULTS.timeoutSeconds})` },
    mutating: { type: 'boolean', description: 'also print the MutatingWebhookConfiguration that pins tags to verified digests' },
    'namespace-selector': {
      type: 'string',
      multiple: true,
      placeholder: 'REQ',
      description: 'only admit in namespaces matching REQ: key=value, key!=value, key in (a,b), key notin (a,b), key, !key (repeatable, ANDed)',
    },
    image: { type: 'string', placeholder: 'REF', description: `the daemon's image (default ${DEFAULTS.image}; pin a digest)` },
    'tls-secret': { type: 'string', placeholder: 'NAME', description: 'kubernetes.io/tls Secret with the serving certificate (default NAME-tls)' },
    'token-secret': {
      type: 'string',
      placeholder: 'NAME',
      description: 'Secret whose key `token` is the bearer token the API server sends to the webhook (default NAME-webhook-token)',
    },
  },
  description:
    'Apply with: chainwatch k8s manifests --namespace chainwatch --service chainwatch --ca-file ca.pem | kubectl apply -f -\nSee docs/kubernetes.md.',
  async run(inv) {
    inv.io.out(renderManifests(await manifestOptions(inv.options)));
    return EXIT.ok;
  },
};

export async function manifestOptions(opts: Readonly<Record<string, string | boolean | string[] | undefined>>): Promise<ManifestOptions> {
  const name = (key: 'namespace' | 'service'): string => {
    const v = opts[key];
    if (typeof v !== 'string') throw new UsageError(`--${key} is required`);
    if (!DNS_LABEL.test(v)) throw new UsageError(`--${key} must be a DNS label (lower-case letters, digits, '-'; at most 63), got ${JSON.stringify(v)}`);
    return v;
  };
  if (opts['fail-open'] === true && opts['fail-closed'] === true) throw new UsageError('--fail-open and --fail-closed exclude each other');
  const port = numberOption(opts, 'port', { integer: true }) ?? DEFAULTS.port;
  if (port > 65_535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const timeoutSeconds = numberOption(opts, 'timeout-seconds', { integer: true }) ?? DEFAULTS.timeoutSeconds;
  if (timeoutSeconds > 30) throw new UsageError(`--timeout-seconds must be between 1 and 30 (the API server's limit), got ${timeoutSeconds}`);
  const service = name('service');
  const caFile = opts['ca-file'];
  return {
    namespace: name('namespace'),
    service,
    port,
    caBundlePem: typeof caFile === 'string' ? await caBundle(caFile) : undefined,
    failurePolicy: opts['fail-open'] === true ? 'Ignore' : 'Fail',
    timeoutSeconds,
    mutating: opts.mutating === true,
    namespaceSelector: ((opts['namespace-selector'] as string[] | undefined) ?? []).map(labelRequirement),
    image: typeof opts.image === 'string' ? opts.image : DEFAULTS.image,
    tlsSecret: typeof opts['tls-secret'] === 'string' ? opts['tls-secret'] : `${service}-tls`,
    tokenSecret: typeof opts['token-secret'] === 'string' ? opts['token-secret'] : `${service}-webhook-token`,
  };
}

/** The CA file's certificates, re-encoded as PEM; anything else in it (a private key by mistake) refuses the file. */
async function caBundle(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new K8sInstallError('K8S_CA_UNREADABLE', `cannot read --ca-file ${path}`, { cause: err });
  }
  const { parseCertificates } = await loadX509();
  try {
    const certs = parseCertificates(bytes);
    if (certs.length === 0) throw new Error('no certificate');
    return certs.map((c) => pem(c.der)).join('');
  } catch (err) {
    throw new K8sInstallError('K8S_CA_INVALID', `--ca-file ${path} holds no X.509 certificate`, { cause: err });
  }
}

const pem = (der: Uint8Array): string => new X509Certificate(der).toString();

/** One requirement in kubectl's label-selector syntax (the subset a webhook's namespaceSelector takes). */
export function labelRequirement(raw: string): LabelRequirement {
  const s = raw.trim();
  const bad = (why: string) => new UsageError(`--namespace-selector ${JSON.stringify(raw)}: ${why}`);
  const key = (k: string) => {
    if (!LABEL_KEY.test(k)) throw bad(`${JSON.stringify(k)} is not a label key`);
    return k;
  };
  const values = (list: string[]) => {
    for (const v of list) if (!LABEL_VALUE.test(v)) throw bad(`${JSON.stringify(v)} is not a label value`);
    return list;
  };
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(s);
  if (set) {
    const list = set[3]!.split(',').map((v) => v.trim());
    if (list.length === 0 || list.some((v) => v === '')) throw bad('empty value in the set');
    return { key: key(set[1]!), operator: set[2] === 'in' ? 'In' : 'NotIn', values: values(list) };
  }
  const neq = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(s);
  if (neq) return { key: key(neq[1]!), operator: 'NotIn', values: values([neq[2]!]) };
  const eq = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(s);
  if (eq) return { key: key(eq[1]!), operator: 'In', values: values([eq[2]!]) };
  if (s.startsWith('!')) return { key: key(s.slice(1).trim()), operator: 'DoesNotExist' };
  return { key: key(s), operator: 'Exists' };
}
