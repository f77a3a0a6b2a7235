/**
 * The Deployment of `chainwatch k8s manifests` configures the daemon through CHAINWATCH_* variables
 * only: every one must map to a config key (a typo would be ignored with a warning at start, and
 * the pod would serve no HTTPS), and together they must give the daemon the listeners, serving
 * certificate and cert-expiry the other manifests assume.
 */
import { describe, expect, it } from 'vitest';
import { manifests, manifestOptions, TLS_MOUNT } from '../collectors/k8s/index.js';
import { loadConfig } from '../daemon/config/load.js';
import { sectionOf } from '../daemon/config/schema.js';
import { plan } from '../daemon/plan.js';
import { capabilityModules } from '../daemon/registry.js';

type Container = { env: { name: string; value: string }[]; ports: { name: string; containerPort: number }[] };

describe("k8s manifests: the Deployment's environment is a valid daemon configuration", () => {
  it('maps every variable, serves HTTPS on the container port the Service targets, and watches the serving certificate', async () => {
    const docs = manifests(await manifestOptions({ namespace: 'supply', service: 'cw' }));
    const deployment = docs.find((d) => d.kind === 'Deployment') as { spec: { template: { spec: { containers: Container[] } } } };
    const container = deployment.spec.template.spec.containers[0]!;
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));

    const loaded = loadConfig({ env });
    expect(loaded.ignoredEnv).toEqual([]);
    const { config } = loaded;
    const port = (name: string) => container.ports.find((p) => p.name === name)!.containerPort;
    expect([config.http.port, config.http.tls?.port]).toEqual([port('http'), port('https')]);
    expect([config.http.tls?.cert, config.http.tls?.key]).toEqual([`${TLS_MOUNT}/tls.crt`, `${TLS_MOUNT}/tls.key`]);

    const certExpiry = capabilityModules.find((m) => m.id === 'detectors.certExpiry')!;
    expect((sectionOf(config, certExpiry) as { enabled: boolean } | undefined)?.enabled).toBe(true);
    expect(plan(config, capabilityModules).components.map((c) => c.name)).toContain('detector.cert-expiry');
  });
});
