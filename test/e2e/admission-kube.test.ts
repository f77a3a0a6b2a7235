/**
 * The admission webhook through the REAL kube-apiserver (scripts/services/kube.sh): a
 * ValidatingWebhookConfiguration points at the daemon's HTTPS listener (serving certificate under
 * the API server's test CA, so the caBundle is that CA); the API server authenticates to the daemon
 * with the bearer token its AdmissionConfiguration gives every webhook
 * (CHAINWATCH_TEST_KUBE_WEBHOOK_TOKEN). Images live in the real OCI registry and are signed with real
 * cosign; collectors.signatures verifies them on request. There is no kubelet: admitted Pods stay Pending.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import type { AdmissionDecision } from '../../core/index.js';
import { freePort } from '../../core/testing/index.js';
import { built, type DaemonProcess, httpStatus, journalEvents, startDaemon } from '../helpers/daemon-process.js';
import { create, createNamespace, deploymentManifest, kube, kubeEnv, podManifest, registerWebhook, uniqueName, untilWebhookActive } from '../helpers/kube.js';
import { cosign, cosignKeyPair, cosignSign, ocireg, pushImage } from '../helpers/oci.js';

const exec = promisify(execFile);
const DEADLINE_MS = 3000;

/** kubectl create, with what the API server said: created or refused, and the warnings (kubectl prints them on stderr). */
async function tryCreate(manifest: object): Promise<{ created: boolean; stderr: string }> {
  const env = kubeEnv();
  const child = exec(env.kubectl, ['--kubeconfig', env.kubeconfig, 'create', '-o', 'name', '-f', '-']);
  child.child.stdin!.end(JSON.stringify(manifest));
  try {
    const { stderr } = await child;
    return { created: true, stderr };
  } catch (err) {
    return { created: false, stderr: String((err as { stderr?: string }).stderr ?? err) };
  }
}

async function daemon(
  dir: string,
  host: string,
  run: string,
  pub: string,
  onTimeout: 'deny' | 'allow',
): Promise<{ d: DaemonProcess; tlsPort: number; journal: string }> {
  const env = kubeEnv();
  const policies = join(dir, 'policies');
  mkdirSync(policies, { recursive: true });
  writeFileSync(
    join(policies, 'signed.yaml'),
    ['name: signed', `images: ['${host}/${run}/enforced-*']`, 'authorities:', '  - name: release', `    key: { path: ${pub} }`, ''].join('\n'),
  );
  writeFileSync(
    join(policies, 'signed-soon.yaml'),
    ['name: signed-soon', 'mode: warn', `images: ['${host}/${run}/warned-*']`, 'authorities:', '  - name: release', `    key: { path: ${pub} }`, ''].join('\n'),
  );
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  writeFileSync(cert, env.webhookCert);
  writeFileSync(key, env.webhookKey, { mode: 0o600 });
  const cfg = join(dir, 'chainwatch.yaml');
  writeFileSync(
    cfg,
    [
      'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 20ms',
      `http:\n  tls:\n    host: 127.0.0.1\n    port: 0\n    cert: ${cert}\n    key: ${key}`,
      'sinks:\n  journal:\n    path: journal.jsonl\n    families: [k8s]',
      'collectors:',
      '  signatures:',
      '    settleDelay: 0s',
      `    policies: ${policies}`,
      `    trust:\n      keyless: false\n      keys: [${pub}]`,
      '  admission:',
      `    deadline: ${DEADLINE_MS}ms`,
      `    onTimeout: ${onTimeout}`,
      '    namespaces: { exclude: [] }',
      '    mutate: true',
      '    bearer:\n      - token: { env: CW_TEST_WEBHOOK_TOKEN }\n        principal: kube-apiserver',
      'shutdown:\n  deadline: 10s',
      '',
    ].join('\n'),
  );
  const d = await startDaemon(['--config', cfg, '--data-dir', dir], { CW_TEST_WEBHOOK_TOKEN: process.env.CHAINWATCH_TEST_KUBE_WEBHOOK_TOKEN });
  const tlsPort = Number(/and https:\/\/[^:]+:(\d+)/.exec(d.stderr())?.[1]);
  await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });
  return { d, tlsPort, journal: join(dir, 'journal.jsonl') };
}

async function stop(d: DaemonProcess): Promise<void> {
  d.child.kill('SIGTERM');
  await d.exited;
}

const decisions = (journal: string, namespace: string): AdmissionDecision[] =>
  journalEvents<AdmissionDecision>(journal, 'dev.chainwatch.k8s.admission.decided.v1').filter((x) => x.namespace === namespace);

describe.skipIf(kube.skip || ocireg.skip || cosign.skip || !built())('admission through the real kube-apiserver', () => {
  it('admits a verified image, denies an unsigned one (enforce), warns (warn), judges a Deployment, and keeps the deadline with the registry down', async () => {
    const host = ocireg.value!;
    const run = `admk-${Date.now().toString(36)}`;
    const release = await cosignKeyPair();
    const signed = await pushImage(host, `${run}/enforced-signed`, 'v1');
    await cosignSign(`${host}/${run}/enforced-signed@${signed}`, release.key, true);
    await pushImage(host, `${run}/enforced-unsigned`, 'v1');
    await pushImage(host, `${run}/warned-unsigned`, 'v1');

    for (const onTimeout of ['deny', 'allow'] as const) {
      const dir = mkdtempSync(join(tmpdir(), `cw-e2e-admk-${onTimeout}-`));
      const { d, tlsPort, journal } = await daemon(dir, host, run, release.pub, onTimeout);
      const label = uniqueName('adm');
      const ns = await createNamespace(uniqueName('adm'), { 'chainwatch-test': label });
      const unregister = await registerWebhook({
        kind: 'validating',
        name: uniqueName('chainwatch'),
        url: `https://127.0.0.1:${tlsPort}/admission/validate`,
        namespaceSelector: { matchLabels: { 'chainwatch-test': label } },
        timeoutSeconds: 10,
      });
      try {
        await untilWebhookActive(ns, () => decisions(journal, ns).length > 0);
        if (onTimeout === 'deny') {
          expect(await tryCreate(podManifest(ns, 'signed', [`${host}/${run}/enforced-signed:v1`]))).toMatchObject({ created: true });
          const unsigned = await tryCreate(podManifest(ns, 'unsigned', [`${host}/${run}/enforced-unsigned:v1`]));
          expect(unsigned.created).toBe(false);
          expect(unsigned.stderr).toContain('policy signed failed');
          const warned = await tryCreate(podManifest(ns, 'warned', [`${host}/${run}/warned-unsigned:v1`]));
          expect(warned.created).toBe(true);
          expect(warned.stderr).toContain('signed-soon');
          expect((await tryCreate(deploymentManifest(ns, 'dep-bad', [`${host}/${run}/enforced-unsigned:v1`]))).created).toBe(false);
          expect((await tryCreate(deploymentManifest(ns, 'dep-ok', [`${host}/${run}/enforced-signed:v1`]))).created).toBe(true);
          // The mutating variant pins the verified tag to its digest in the stored object.
          const pinNs = await createNamespace(uniqueName('admpin'), { 'chainwatch-pin': label });
          const unregisterPin = await registerWebhook({
            kind: 'mutating',
            name: uniqueName('chainwatch-pin'),
            url: `https://127.0.0.1:${tlsPort}/admission/mutate`,
            namespaceSelector: { matchLabels: { 'chainwatch-pin': label } },
            timeoutSeconds: 10,
          });
          try {
            await untilWebhookActive(pinNs, () =>
              journalEvents<AdmissionDecision>(journal, 'dev.chainwatch.k8s.admission.decided.v1').some((x) => x.namespace === pinNs && x.webhook === 'mutate'),
            );
            const pinned = await create(podManifest(pinNs, 'pinned', [`${host}/${run}/enforced-signed:v1`]));
            expect((pinned.spec as { containers: { image: string }[] }).containers[0]!.image).toBe(`${host}/${run}/enforced-signed:v1@${signed}`);
          } finally {
            await unregisterPin();
          }
        }
        // A registry nobody answers on: the answer comes within the deadline, by onTimeout.
        const dead = `127.0.0.1:${await freePort()}`;
        const down = await tryCreate(podManifest(ns, `down-${onTimeout}`, [`${dead}/${run}/app@${signed}`]));
        expect(down.created).toBe(onTimeout === 'allow');
        const decided = decisions(journal, ns).find((x) => x.name === `down-${onTimeout}`);
        expect(decided).toMatchObject({ allowed: onTimeout === 'allow', deadlineExceeded: true });
        expect(decided!.latencyMs).toBeLessThanOrEqual(DEADLINE_MS);
      } finally {
        await unregister();
        await stop(d);
      }
    }
  }, 240_000);
});
