/**
 * The admission webhook through ONE real daemon process per onTimeout setting (embedded bus,
 * journal sink): AdmissionReviews over the daemon's HTTPS listener (bearer token), tags resolved
 * against the REAL OCI registry (go-containerregistry's, scripts/services/ocireg.sh), images signed
 * with REAL cosign v3 (key-based, offline), verified by collectors.signatures on request
 * (registry.manifest.v1 {source: admission, action: verify}) and judged by rules/policy.
 * The same through the real kube-apiserver: test/e2e/admission-kube.test.ts (needs scripts/services/kube.sh).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { AdmissionDecision } from '../../core/index.js';
import { freePort } from '../../core/testing/index.js';
import { built, type DaemonProcess, httpStatus, journalEvents, startDaemon } from '../helpers/daemon-process.js';
import { cosign, cosignKeyPair, cosignSign, ocireg, pushImage } from '../helpers/oci.js';
import { selfSignedServingCert } from '../helpers/serving-cert.js';

const TOKEN = 'admission-test-token-0123456789abcdef';
const DEADLINE_MS = 3000;

interface Reply {
  status: number;
  json: {
    response?: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[]; patchType?: string; patch?: string };
    error?: { code: string };
  };
}

function post(port: number, path: string, ca: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, method: 'POST', ca: readFileSync(ca), headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let json: Reply['json'] = {};
          try {
            json = JSON.parse(text) as Reply['json'];
          } catch {
            // not JSON (413 and friends answer with a short body)
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let seq = 0;
function admissionReview(kind: string, object: unknown, namespace = 'apps'): { uid: string; body: string } {
  const uid = `e2e-${Date.now().toString(36)}-${seq++}`;
  const group = kind === 'Pod' ? '' : kind === 'Job' || kind === 'CronJob' ? 'batch' : 'apps';
  const request = { uid, kind: { group, version: 'v1', kind }, operation: 'CREATE', namespace, name: `obj-${seq}`, userInfo: { username: 'e2e' }, object };
  return { uid, body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }) };
}
const pod = (image: string): unknown => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image }] } });
const deployment = (image: string): unknown => ({
  metadata: { name: 'd' },
  spec: { template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'app', image }] } } },
});

async function daemon(
  dir: string,
  host: string,
  run: string,
  pub: string,
  onTimeout: 'deny' | 'allow',
): Promise<{ d: DaemonProcess; tlsPort: number; journal: string }> {
  const policies = join(dir, 'policies');
  mkdirSync(policies, { recursive: true });
  writeFileSync(
    join(policies, 'signed.yaml'),
    [`name: signed`, `images: ['${host}/${run}/enforced-*']`, 'authorities:', '  - name: release', `    key: { path: ${pub} }`, ''].join('\n'),
  );
  writeFileSync(
    join(policies, 'signed-soon.yaml'),
    [`name: signed-soon`, 'mode: warn', `images: ['${host}/${run}/warned-*']`, 'authorities:', '  - name: release', `    key: { path: ${pub} }`, ''].join('\n'),
  );
  const tls = selfSignedServingCert(dir);
  const cfg = join(dir, 'chainwatch.yaml');
  writeFileSync(
    cfg,
    [
      'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 20ms',
      `http:\n  tls:\n    host: 127.0.0.1\n    port: 0\n    cert: ${tls.cert}\n    key: ${tls.key}`,
      'sinks:\n  journal:\n    path: journal.jsonl\n    families: [registry, k8s]',
      'collectors:',
      '  signatures:',
      '    settleDelay: 0s',
      `    policies: ${policies}`,
      `    trust:\n      keyless: false\n      keys: [${pub}]`,
      '  admission:',
      `    deadline: ${DEADLINE_MS}ms`,
      `    onTimeout: ${onTimeout}`,
      '    mutate: true',
      // Small, so the oversized request below fits the socket buffers (the router answers 413 before reading it all).
      '    maxBodyBytes: 65536',
      '    bearer:\n      - token: { env: CW_TEST_ADMISSION_TOKEN }\n        principal: kube-apiserver',
      'shutdown:\n  deadline: 10s',
      '',
    ].join('\n'),
  );
  const d = await startDaemon(['--config', cfg, '--data-dir', dir], { CW_TEST_ADMISSION_TOKEN: TOKEN });
  const tlsPort = Number(/and https:\/\/[^:]+:(\d+)/.exec(d.stderr())?.[1]);
  await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });
  return { d, tlsPort, journal: join(dir, 'journal.jsonl') };
}

async function stop(d: DaemonProcess): Promise<void> {
  d.child.kill('SIGTERM');
  await d.exited;
}

const decisionOf = (journal: string, uid: string): AdmissionDecision | undefined =>
  journalEvents<AdmissionDecision>(journal, 'dev.chainwatch.k8s.admission.decided.v1').find((x) => x.uid === uid);

describe.skipIf(ocireg.skip || cosign.skip || !built())('admission webhook through the daemon (real registry, real cosign)', () => {
  it('admits verified images, denies unsigned ones under enforce, warns under warn, checks pod templates, pins tags, refuses bad input', async () => {
    const host = ocireg.value!;
    const run = `adm-${Date.now().toString(36)}`;
    const dir = mkdtempSync(join(tmpdir(), 'cw-e2e-admission-'));
    const release = await cosignKeyPair();
    const signed = await pushImage(host, `${run}/enforced-signed`, 'v1');
    await cosignSign(`${host}/${run}/enforced-signed@${signed}`, release.key, true);
    await pushImage(host, `${run}/enforced-unsigned`, 'v1');
    await pushImage(host, `${run}/warned-unsigned`, 'v1');

    const { d, tlsPort, journal } = await daemon(dir, host, run, release.pub, 'deny');
    const ca = join(dir, 'tls.crt');
    try {
      // Signed, by tag: admitted, and the response says the tag was resolved.
      const ok = admissionReview('Pod', pod(`${host}/${run}/enforced-signed:v1`));
      const okReply = await post(tlsPort, '/admission/validate', ca, ok.body);
      expect([okReply.status, okReply.json.response?.uid, okReply.json.response?.allowed]).toEqual([200, ok.uid, true]);
      expect(okReply.json.response?.warnings?.join('\n')).toContain(signed);
      await vi.waitFor(
        () => expect(decisionOf(journal, ok.uid)).toMatchObject({ allowed: true, images: [{ verdict: 'pass', digest: signed, resolvedFromTag: true }] }),
        { timeout: 10_000 },
      );

      // Unsigned under an enforce policy: denied with the policy in the message.
      const bad = admissionReview('Pod', pod(`${host}/${run}/enforced-unsigned:v1`));
      const badReply = await post(tlsPort, '/admission/validate', ca, bad.body);
      expect([badReply.json.response?.allowed, badReply.json.response?.status?.code]).toEqual([false, 403]);
      expect(badReply.json.response?.status?.message).toContain('signed');

      // Unsigned under a warn policy: admitted with the policy in a warning.
      const warn = admissionReview('Pod', pod(`${host}/${run}/warned-unsigned:v1`));
      const warnReply = await post(tlsPort, '/admission/validate', ca, warn.body);
      expect(warnReply.json.response?.allowed).toBe(true);
      expect(warnReply.json.response?.warnings?.join('\n')).toContain('signed-soon');

      // A Deployment's pod template is what is judged.
      const dep = admissionReview('Deployment', deployment(`${host}/${run}/enforced-unsigned:v1`));
      expect((await post(tlsPort, '/admission/validate', ca, dep.body)).json.response?.allowed).toBe(false);
      const depOk = admissionReview('Deployment', deployment(`${host}/${run}/enforced-signed:v1`));
      expect((await post(tlsPort, '/admission/validate', ca, depOk.body)).json.response?.allowed).toBe(true);

      // mutate pins the verified tag to its digest (JSONPatch).
      const mut = admissionReview('Deployment', deployment(`${host}/${run}/enforced-signed:v1`));
      const mutReply = await post(tlsPort, '/admission/mutate', ca, mut.body);
      expect(mutReply.json.response?.patchType).toBe('JSONPatch');
      expect(JSON.parse(Buffer.from(mutReply.json.response!.patch!, 'base64').toString())).toEqual([
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${host}/${run}/enforced-signed:v1@${signed}` },
      ]);

      // A registry that does not answer (nothing listens on the port): denied (fail-closed) within the deadline.
      const dead = `127.0.0.1:${await freePort()}`;
      const down = admissionReview('Pod', pod(`${dead}/${run}/app@${signed}`));
      const downReply = await post(tlsPort, '/admission/validate', ca, down.body);
      expect(downReply.json.response?.allowed).toBe(false);
      await vi.waitFor(
        () => expect(decisionOf(journal, down.uid)).toMatchObject({ allowed: false, deadlineExceeded: true, images: [{ verdict: 'unknown' }] }),
        { timeout: 10_000 },
      );
      expect(decisionOf(journal, down.uid)!.latencyMs).toBeLessThanOrEqual(DEADLINE_MS);

      // Bad input: coded 400s, the router's 401/413, no route on plain HTTP, and the daemon keeps answering.
      expect((await post(tlsPort, '/admission/validate', ca, '{"apiVersion":')).json.error?.code).toBe('ADMISSION_MALFORMED_JSON');
      const beta = JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: JSON.parse(ok.body).request });
      expect(await post(tlsPort, '/admission/validate', ca, beta)).toMatchObject({ status: 400, json: { error: { code: 'ADMISSION_WRONG_VERSION' } } });
      expect((await post(tlsPort, '/admission/validate', ca, ok.body, {})).status).toBe(401);
      expect((await post(tlsPort, '/admission/validate', ca, 'x'.repeat(70 * 1024))).status).toBe(413);
      const odd = admissionReview('Pod', pod('UPPER/Case:v1'));
      const oddReply = await post(tlsPort, '/admission/validate', ca, odd.body);
      expect([oddReply.json.response?.allowed, oddReply.json.response?.status?.message.includes('IMAGE_REF_UPPERCASE')]).toEqual([false, true]);
      const plain = await fetch(`${d.url}/admission/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: ok.body,
      });
      expect(plain.status).toBe(404); // HTTPS-only routes do not exist on the plain listener
      expect((await post(tlsPort, '/admission/validate', ca, ok.body)).json.response?.allowed).toBe(true);
    } finally {
      await stop(d);
    }

    // fail-open: the same unreachable registry, allowed with a warning, within the deadline.
    const open = await daemon(mkdtempSync(join(tmpdir(), 'cw-e2e-admission-open-')), host, run, release.pub, 'allow');
    try {
      const dead = `127.0.0.1:${await freePort()}`;
      const down = admissionReview('Pod', pod(`${dead}/${run}/app@${signed}`));
      const reply = await post(open.tlsPort, '/admission/validate', join(open.journal, '..', 'tls.crt'), down.body);
      expect(reply.json.response?.allowed).toBe(true);
      expect(reply.json.response?.warnings?.join('\n')).toContain('onTimeout: allow');
      await vi.waitFor(() => expect(decisionOf(open.journal, down.uid)).toMatchObject({ allowed: true, deadlineExceeded: true }), { timeout: 10_000 });
    } finally {
      await stop(open.d);
    }
  }, 180_000);
});
