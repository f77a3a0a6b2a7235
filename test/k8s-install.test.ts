/**
 * The install manifests of `chainwatch k8s manifests` against the real Kubernetes API server
 * (scripts/services/kube.sh, RBAC authorization): the printed YAML passes a server-side dry run and
 * a real apply, and the ServiceAccount it creates can list and watch what the cluster watch reads
 * and nothing more — asked both of the authorizer (`kubectl auth can-i --as=...`) and with a real
 * token of that ServiceAccount (TokenRequest) on the API itself.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestsCommand } from '../collectors/k8s/index.js';
import { invokeCommand } from '../core/testing/index.js';
import { createNamespace, kube, kubeEnv, kubectl, uniqueName } from './helpers/kube.js';

/**
 * The status code (200, 403, ...) of a request with `token`. Not kubeRequest: a watch's body is a
 * stream of JSON lines, and only whether the API server lets the token in matters here.
 */
function status(method: string, path: string, token: string, body?: object): Promise<number> {
  const env = kubeEnv();
  const url = new URL(path, env.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method,
        ca: env.ca,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** `kubectl auth can-i` answers on stdout and exits 1 for "no". */
async function canI(verb: string, resource: string, as: string, namespace?: string): Promise<string> {
  const args = ['auth', 'can-i', verb, resource, `--as=${as}`, ...(namespace ? ['-n', namespace] : ['--all-namespaces'])];
  try {
    return (await kubectl(args)).trim();
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '').trim();
  }
}

describe.skipIf(kube.skip)('k8s install manifests on the real API server', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('apply (server dry run, then for real) and grant the ServiceAccount list/watch only', async () => {
    const ns = await createNamespace(uniqueName('cwinst'));
    const svc = 'chainwatch';
    const printed = await invokeCommand(manifestsCommand, [
      '--namespace',
      ns,
      '--service',
      svc,
      '--ca-file',
      kubeEnv().caFile,
      '--mutating',
      '--fail-closed',
      // Matches no namespace: the webhooks are real objects but call nobody (the server is shared by the run).
      '--namespace-selector',
      `chainwatch.dev/test-${ns}=on`,
    ]);
    expect(printed.code).toBe(0);
    const kinds = parseAllDocuments(printed.out).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toContain('ValidatingWebhookConfiguration');

    const dry = await kubectl(['apply', '--dry-run=server', '-f', '-'], printed.out);
    expect(dry.split('\n').filter((l) => l.includes('(server dry run)'))).toHaveLength(kinds.length);
    cleanup.push(() => kubectl(['delete', '--ignore-not-found', '-f', '-'], printed.out));
    const applied = await kubectl(['apply', '-f', '-'], printed.out);
    expect(applied.split('\n').filter((l) => / (created|configured|unchanged)$/.test(l))).toHaveLength(kinds.length);
    const vwc = JSON.parse(await kubectl(['get', 'validatingwebhookconfiguration', `${ns}-${svc}`, '-o', 'json'])) as {
      webhooks: { clientConfig: { caBundle: string }; sideEffects: string; failurePolicy: string }[];
    };
    expect(Buffer.from(vwc.webhooks[0]!.clientConfig.caBundle, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    expect([vwc.webhooks[0]!.sideEffects, vwc.webhooks[0]!.failurePolicy]).toEqual(['None', 'Fail']);

    // The authorizer's answers for the ServiceAccount.
    const sa = `system:serviceaccount:${ns}:${svc}`;
    for (const [verb, resource] of [
      ['list', 'pods'],
      ['watch', 'pods'],
      ['list', 'deployments.apps'],
      ['watch', 'replicasets.apps'],
      ['watch', 'statefulsets.apps'],
      ['list', 'daemonsets.apps'],
      ['watch', 'jobs.batch'],
      ['list', 'cronjobs.batch'],
      ['get', 'namespaces'],
    ] as const)
      expect(`${verb} ${resource}: ${await canI(verb, resource, sa)}`).toBe(`${verb} ${resource}: yes`);
    for (const [verb, resource] of [
      ['create', 'pods'],
      ['delete', 'pods'],
      ['patch', 'pods'],
      ['get', 'pods'],
      ['create', 'pods/exec'],
      ['get', 'secrets'],
      ['list', 'secrets'],
      ['create', 'deployments.apps'],
      ['delete', 'validatingwebhookconfigurations.admissionregistration.k8s.io'],
    ] as const)
      expect(`${verb} ${resource}: ${await canI(verb, resource, sa, ns)}`).toBe(`${verb} ${resource}: no`);

    // A real token of the ServiceAccount (TokenRequest), used on the API.
    const token = (await kubectl(['-n', ns, 'create', 'token', svc, '--duration=10m'])).trim();
    expect(await status('GET', '/api/v1/pods?limit=1', token)).toBe(200);
    expect(await status('GET', '/api/v1/pods?watch=1&timeoutSeconds=1', token)).toBe(200);
    expect(await status('GET', '/apis/apps/v1/deployments?limit=1', token)).toBe(200);
    expect(await status('GET', '/apis/batch/v1/cronjobs?watch=1&timeoutSeconds=1', token)).toBe(200);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nope' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } };
    expect(await status('POST', `/api/v1/namespaces/${ns}/pods`, token, pod)).toBe(403);
    expect(await status('DELETE', `/api/v1/namespaces/${ns}/pods/anything`, token)).toBe(403);
    expect(await status('GET', `/api/v1/namespaces/${ns}/secrets`, token)).toBe(403);
  });

  it('the checked-in deploy/k8s/chainwatch.yaml passes a server-side dry run', async () => {
    await createNamespace('chainwatch'); // idempotent (apply); the file's namespace
    const yaml = readFileSync(join(import.meta.dirname, '..', 'deploy', 'k8s', 'chainwatch.yaml'), 'utf8');
    const out = await kubectl(['apply', '--dry-run=server', '-f', '-'], yaml);
    expect(out.split('\n').filter((l) => l.includes('(server dry run)'))).toHaveLength(parseAllDocuments(yaml).filter((d) => d.contents !== null).length);
  });
});
