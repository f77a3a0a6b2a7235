import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { EXIT, UsageError } from '../../../core/index.js';
import { invokeCommand } from '../../../core/testing/index.js';
import { K8sInstallError, labelRequirement, manifestOptions, manifestsCommand } from './command.js';
import { TOKEN_ENV, TOKEN_KEY } from './manifests.js';

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
type Webhook = {
  name: string;
  clientConfig: { service: { namespace: string; name: string; path: string; port: number }; caBundle?: string };
  rules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
  namespaceSelector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
  sideEffects: string;
  admissionReviewVersions: string[];
  timeoutSeconds: number;
  failurePolicy: string;
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-k8s-'));
  // A throwaway CA, made here so the test needs no checked-in key material.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=cw-test-ca',
    ],
    {
      cwd: dir,
      stdio: 'pipe',
    },
  );
  writeFileSync(join(dir, 'notes.txt'), 'not a certificate\n');
});

async function print(...argv: string[]): Promise<{ code: number; docs: Doc[]; err: string }> {
  const r = await invokeCommand(manifestsCommand, argv);
  const docs = r.code === EXIT.ok ? parseAllDocuments(r.out).map((d) => d.toJS() as Doc) : [];
  return { code: r.code, docs, err: r.err };
}
const byKind = (docs: Doc[], kind: string) => docs.filter((d) => d.kind === kind);
const webhook = (docs: Doc[], kind: string) => (byKind(docs, kind)[0]!.webhooks as Webhook[])[0]!;

describe('chainwatch k8s manifests', () => {
  it('prints identities and RBAC before what uses them, webhooks last, every namespaced object in NS', async () => {
    const { code, docs } = await print('--namespace', 'supply', '--service', 'cw');
    expect(code).toBe(EXIT.ok);
    expect(docs.map((d) => d.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Service', 'Deployment', 'ValidatingWebhookConfiguration']);
    for (const d of docs.filter((x) => ['ServiceAccount', 'Service', 'Deployment'].includes(x.kind)))
      expect([d.metadata.name, d.metadata.namespace]).toEqual(['cw', 'supply']);
    const binding = byKind(docs, 'ClusterRoleBinding')[0] as Doc & { roleRef: { name: string }; subjects: unknown[] };
    expect(binding.roleRef.name).toBe(byKind(docs, 'ClusterRole')[0]!.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'cw', namespace: 'supply' }]);
  });

  it('grants the watch list/watch only (get on namespaces alone) and nothing that writes or reads secrets', async () => {
    const { docs } = await print('--namespace', 'supply', '--service', 'cw');
    const rules = byKind(docs, 'ClusterRole')[0]!.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const grants = rules.flatMap((r) => r.resources.map((res) => `${r.apiGroups[0] || 'core'}/${res}:${[...r.verbs].sort().join(',')}`)).sort();
    expect(grants).toEqual([
      'apps/daemonsets:list,watch',
      'apps/deployments:list,watch',
      'apps/replicasets:list,watch',
      'apps/statefulsets:list,watch',
      'batch/cronjobs:list,watch',
      'batch/jobs:list,watch',
      'core/namespaces:get,list,watch',
      'core/pods:list,watch',
    ]);
  });

  it('validates CREATE/UPDATE of pods and every pod-template kind, v1 reviews, no side effects, excluding NS and kube-system', async () => {
    const { docs } = await print('--namespace', 'supply', '--service', 'cw', '--port', '9443', '--timeout-seconds', '7');
    const w = webhook(docs, 'ValidatingWebhookConfiguration');
    expect(w.clientConfig).toEqual({ service: { namespace: 'supply', name: 'cw', path: '/admission/validate', port: 9443 } });
    const kinds = w.rules.flatMap((r) => r.resources.map((res) => `${r.apiGroups[0] || 'core'}/${res}`)).sort();
    expect(kinds).toEqual([
      'apps/daemonsets',
      'apps/deployments',
      'apps/replicasets',
      'apps/statefulsets',
      'batch/cronjobs',
      'batch/jobs',
      'core/pods',
      'core/pods/ephemeralcontainers',
    ]);
    for (const r of w.rules) expect([r.operations, r.apiVersions]).toEqual([['CREATE', 'UPDATE'], ['v1']]);
    expect([w.sideEffects, w.admissionReviewVersions, w.timeoutSeconds, w.failurePolicy]).toEqual(['None', ['v1'], 7, 'Fail']);
    expect(w.namespaceSelector.matchExpressions).toEqual([{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['supply', 'kube-system'] }]);
    const svc = byKind(docs, 'Service')[0] as Doc & { spec: { ports: { port: number; targetPort: string }[] } };
    expect(svc.spec.ports[0]).toMatchObject({ port: 9443, targetPort: 'https' });
  });

  it('puts the CA file into caBundle, fail-open as Ignore, and the mutating webhook when asked', async () => {
    const ca = join(dir, 'ca.pem');
    const { docs } = await print('--namespace', 'supply', '--service', 'cw', '--ca-file', ca, '--fail-open', '--mutating');
    const expected = new X509Certificate(readFileSync(ca)).fingerprint256;
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const w = webhook(docs, kind);
      const bundle = Buffer.from(w.clientConfig.caBundle!, 'base64').toString('utf8');
      expect(new X509Certificate(bundle).fingerprint256).toBe(expected);
      expect(w.failurePolicy).toBe('Ignore');
    }
    expect(webhook(docs, 'MutatingWebhookConfiguration').clientConfig.service.path).toBe('/admission/mutate');
    expect(byKind((await print('--namespace', 'supply', '--service', 'cw')).docs, 'MutatingWebhookConfiguration')).toEqual([]);
  });

  it('quotes label values YAML 1.1 reads as booleans (kubectl does): "on" stays a string', async () => {
    const r = await invokeCommand(manifestsCommand, [
      '--namespace',
      'supply',
      '--service',
      'cw',
      '--namespace-selector',
      'audit=on',
      '--namespace-selector',
      'x in (yes,n)',
    ]);
    expect(r.out).toMatch(/- "on"\n/);
    const yaml11 = parseAllDocuments(r.out, { version: '1.1' }).map((d) => d.toJS() as Doc);
    expect(webhook(yaml11, 'ValidatingWebhookConfiguration').namespaceSelector.matchExpressions.slice(1)).toEqual([
      { key: 'audit', operator: 'In', values: ['on'] },
      { key: 'x', operator: 'In', values: ['yes', 'n'] },
    ]);
  });

  it('ANDs namespace selectors with the default exclusions', async () => {
    const { docs } = await print(
      '--namespace',
      'supply',
      '--service',
      'cw',
      '--namespace-selector',
      'chainwatch.dev/enforce=true',
      '--namespace-selector',
      'tier notin (dev, test)',
    );
    expect(webhook(docs, 'ValidatingWebhookConfiguration').namespaceSelector.matchExpressions.slice(1)).toEqual([
      { key: 'chainwatch.dev/enforce', operator: 'In', values: ['true'] },
      { key: 'tier', operator: 'NotIn', values: ['dev', 'test'] },
    ]);
  });

  it('mounts the serving-certificate Secret where the daemon reads http.tls', async () => {
    const { docs } = await print(
      '--namespace',
      'supply',
      '--service',
      'cw',
      '--tls-secret',
      'cw-serving',
      '--image',
      'reg.example/cw@sha256:' + 'a'.repeat(64),
    );
    type Container = { image: string; env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] };
    type PodSpec = { serviceAccountName: string; volumes: unknown[]; containers: Container[] };
    const pod = (byKind(docs, 'Deployment')[0] as Doc & { spec: { template: { spec: PodSpec } } }).spec.template.spec;
    expect(pod.serviceAccountName).toBe('cw');
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'cw-serving' } });
    const c = pod.containers[0]!;
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    const mount = c.volumeMounts.find((m) => m.name === 'tls')!.mountPath;
    expect([env.CHAINWATCH_HTTP__TLS__CERT, env.CHAINWATCH_HTTP__TLS__KEY]).toEqual([`${mount}/tls.crt`, `${mount}/tls.key`]);
    expect(c.image).toBe('reg.example/cw@sha256:' + 'a'.repeat(64));
  });

  it("reads the webhook token from the Secret it names and answers before the API server's timeout", async () => {
    type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
    type PodSpec = { containers: { env: EnvVar[] }[] };
    for (const [extra, secret, timeout] of [
      [[], 'cw-webhook-token', 5],
      [['--token-secret', 'apiserver-token', '--timeout-seconds', '1'], 'apiserver-token', 1],
    ] as const) {
      const { docs } = await print('--namespace', 'supply', '--service', 'cw', ...extra);
      const env = (byKind(docs, 'Deployment')[0] as Doc & { spec: { template: { spec: PodSpec } } }).spec.template.spec.containers[0]!.env;
      expect(env.find((e) => e.valueFrom)).toEqual({ name: TOKEN_ENV, valueFrom: { secretKeyRef: { name: secret, key: TOKEN_KEY } } });
      const deadline = /^(\d+)(ms|s)$/.exec(env.find((e) => e.name === 'CHAINWATCH_COLLECTORS__ADMISSION__DEADLINE')!.value!)!;
      expect(Number(deadline[1]) * (deadline[2] === 's' ? 1000 : 1)).toBeLessThan(timeout * 1000);
    }
  });

  it('refuses bad input with usage errors (exit 2) and bad CA files with coded errors (exit 1)', async () => {
    expect((await print('--service', 'cw')).code).toBe(EXIT.usage);
    expect((await print('--namespace', 'Not_A_Label', '--service', 'cw')).code).toBe(EXIT.usage);
    expect((await print('--namespace', 'a', '--service', 'cw', '--fail-open', '--fail-closed')).code).toBe(EXIT.usage);
    expect((await print('--namespace', 'a', '--service', 'cw', '--timeout-seconds', '31')).code).toBe(EXIT.usage);
    expect((await print('--namespace', 'a', '--service', 'cw', '--port', '70000')).code).toBe(EXIT.usage);
    expect((await print('--namespace', 'a', '--service', 'cw', '--namespace-selector', 'a=b=c')).code).toBe(EXIT.usage);
    await expect(manifestOptions({ namespace: 'a', service: 'b', 'ca-file': join(dir, 'absent.pem') })).rejects.toThrowWithCode(
      K8sInstallError,
      'K8S_CA_UNREADABLE',
    );
    await expect(manifestOptions({ namespace: 'a', service: 'b', 'ca-file': join(dir, 'notes.txt') })).rejects.toThrowWithCode(
      K8sInstallError,
      'K8S_CA_INVALID',
    );
    // A private key in the CA file is the wrong file: refused, so it never reaches the cluster.
    writeFileSync(join(dir, 'ca-and-key.pem'), readFileSync(join(dir, 'ca.pem'), 'utf8') + readFileSync(join(dir, 'ca.key'), 'utf8'));
    await expect(manifestOptions({ namespace: 'a', service: 'b', 'ca-file': join(dir, 'ca-and-key.pem') })).rejects.toThrowWithCode(
      K8sInstallError,
      'K8S_CA_INVALID',
    );
    const r = await print('--namespace', 'a', '--service', 'cw', '--ca-file', join(dir, 'notes.txt'));
    expect([r.code, r.err.includes('K8S_CA_INVALID')]).toEqual([EXIT.failed, true]);
  });
});

describe('namespace selector requirements (kubectl label-selector syntax)', () => {
  it.each([
    ['env=prod', { key: 'env', operator: 'In', values: ['prod'] }],
    ['env==prod', { key: 'env', operator: 'In', values: ['prod'] }],
    ['env!=prod', { key: 'env', operator: 'NotIn', values: ['prod'] }],
    ['env in (a,b)', { key: 'env', operator: 'In', values: ['a', 'b'] }],
    ['chainwatch.dev/skip', { key: 'chainwatch.dev/skip', operator: 'Exists' }],
    ['!chainwatch.dev/skip', { key: 'chainwatch.dev/skip', operator: 'DoesNotExist' }],
  ])('%s', (raw, want) => expect(labelRequirement(raw)).toEqual(want));
  it.each(['', 'env in ()', 'env in (a,)', 'bad key=x', 'env=has space', '-x=y'])('refuses %j', (raw) =>
    expect(() => labelRequirement(raw)).toThrow(UsageError),
  );
});
