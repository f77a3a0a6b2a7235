/**
 * The Deployment of `chainwatch k8s manifests` configures the daemon through CHAINWATCH_* variables
 * only: every one must map to a config key (a typo would be ignored with a warning at start, and
 * the pod would serve no HTTPS), and together they must give the daemon what the other manifests
 * assume: the listeners and serving certificate, the admission routes the webhook configurations
 * call (a missing route is a 404, which a fail-closed webhook turns into refusing every workload),
 * the cluster watch the RBAC is for, the workloads detector and cert-expiry.
 */
import { describe, expect, it } from 'vitest';
import { IN_CLUSTER, manifests, manifestOptions, MUTATE_PATH, TLS_MOUNT, TOKEN_ENV, TOKEN_KEY, VALIDATE_PATH } from '../collectors/k8s/index.js';
import { loadConfig } from '../daemon/config/load.js';
import { sectionOf } from '../daemon/config/schema.js';
import { plan } from '../daemon/plan.js';
import { capabilityModules } from '../daemon/registry.js';

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
type Container = { env: EnvVar[]; ports: { name: string; containerPort: number }[] };
type Webhooks = { kind: string; webhooks: { clientConfig: { service: { path: string } } }[] };

/** The Deployment's environment as the kubelet would give it, with the values of the Secrets it names. */
async function install(opts: Record<string, string | boolean>, secrets: Record<string, Record<string, string>>) {
  const docs = manifests(await manifestOptions({ namespace: 'supply', service: 'cw', ...opts }));
  const deployment = docs.find((d) => d.kind === 'Deployment') as { spec: { template: { spec: { containers: Container[] } } } };
  const container = deployment.spec.template.spec.containers[0]!;
  const env = Object.fromEntries(
    container.env.map((e) => [e.name, e.valueFrom ? secrets[e.valueFrom.secretKeyRef.name]![e.valueFrom.secretKeyRef.key]! : e.value!]),
  );
  const webhookPaths = docs
    .filter((d) => d.kind === 'ValidatingWebhookConfiguration' || d.kind === 'MutatingWebhookConfiguration')
    .flatMap((d) => (d as unknown as Webhooks).webhooks.map((w) => w.clientConfig.service.path));
  return { container, env, webhookPaths };
}

const section = (config: ReturnType<typeof loadConfig>['config'], id: string) =>
  sectionOf(
    config,
    capabilityModules.find((m) => m.id === id)!,
  );

describe("k8s manifests: the Deployment's environment is a valid daemon configuration", () => {
  it('maps every variable, serves HTTPS on the container port the Service targets, and watches the serving certificate', async () => {
    const { container, env } = await install({}, { 'cw-webhook-token': { [TOKEN_KEY]: 'from-the-secret' } });
    const loaded = loadConfig({ env });
    expect(loaded.ignoredEnv).toEqual([]);
    const { config } = loaded;
    const port = (name: string) => container.ports.find((p) => p.name === name)!.containerPort;
    expect([config.http.port, config.http.tls?.port]).toEqual([port('http'), port('https')]);
    expect([config.http.tls?.cert, config.http.tls?.key]).toEqual([`${TLS_MOUNT}/tls.crt`, `${TLS_MOUNT}/tls.key`]);
    expect((section(config, 'detectors.certExpiry') as { enabled: boolean } | undefined)?.enabled).toBe(true);
    expect(plan(config, capabilityModules).components.map((c) => c.name)).toContain('detector.cert-expiry');
  });

  for (const mutating of [false, true])
    it(`plans a route for every webhook path, authenticated by the token Secret, signature discovery, the in-cluster watch and the workloads detector (mutating: ${mutating})`, async () => {
      const { env, webhookPaths } = await install(mutating ? { mutating: true, 'token-secret': 'apiserver-token' } : {}, {
        [mutating ? 'apiserver-token' : 'cw-webhook-token']: { [TOKEN_KEY]: 'from-the-secret' },
      });
      const loaded = loadConfig({ env });
      expect(loaded.ignoredEnv).toEqual([]);
      const p = plan(loaded.config, capabilityModules);

      expect(webhookPaths).toEqual(mutating ? [VALIDATE_PATH, MUTATE_PATH] : [VALIDATE_PATH]);
      const admission = p.routes.filter((r) => r.path.startsWith('/admission/')).map((r) => `${[r.method].flat().join(',')} ${r.path}`);
      expect(admission.sort()).toEqual(webhookPaths.map((path) => `POST ${path}`).sort());
      const bearer = (section(loaded.config, 'collectors.admission') as { bearer: { token: { reveal(): string } }[] }).bearer;
      expect(bearer.map((b) => b.token.reveal())).toEqual(['from-the-secret']);

      const k8s = section(loaded.config, 'collectors.k8s') as { clusters: { name: string; server: string; tokenFile?: string; caFile?: string }[] };
      expect(k8s.clusters.map((c) => ({ server: c.server, tokenFile: c.tokenFile, caFile: c.caFile }))).toEqual([IN_CLUSTER]);
      const names = p.components.map((c) => c.name);
      expect(names).toEqual(
        expect.arrayContaining([`collector.k8s:${k8s.clusters[0]!.name}`, 'collector.admission', 'collector.signatures', 'detector.workloads']),
      );
    });

  it('refuses to load without the Secret: the admission section has no credential to check the API server with', async () => {
    const { env } = await install({}, { 'cw-webhook-token': { [TOKEN_KEY]: 'x' } });
    delete env[TOKEN_ENV];
    expect(() => loadConfig({ env })).toThrow(expect.objectContaining({ code: 'CONFIG_SECRET_UNREADABLE' }));
  });
});
