import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AdmissionDecisionEvent,
  ArtifactVerifiedEvent,
  type CloudEvent,
  type Finding,
  KeyRevokedEvent,
  makeEvent,
  type RegistryManifest,
  topicFor,
  type Workload,
  WorkloadStartedEvent,
  WorkloadStoppedEvent,
} from '../../core/index.js';
import { testContext, type TestContext } from '../../core/testing/index.js';
import { createWorkloadsDetector, RULES, type WorkloadsDetector } from './index.js';

/**
 * The workloads detector through the in-memory bus with a controlled clock: each condition fires
 * once per workload, resolves when it clears or the workload stops, survives a restart; the
 * admission-bypass rule (admission.ts) case by case. Events are built here with the contracts'
 * shapes; the end-to-end path (real API server, real watch) is test/k8s-watch.test.ts.
 */
const T0 = Date.parse('2026-03-01T00:00:00Z');
const D1 = `sha256:${'11'.repeat(32)}`;
const KEY = 'ab'.repeat(32);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let seq = 0;
function workload(over: Partial<Workload> = {}): Workload {
  return {
    cluster: 'c1',
    kind: 'Pod',
    namespace: 'default',
    name: 'web',
    uid: 'uid-web',
    resourceVersion: '10',
    labels: {},
    images: [{ container: 'app', reference: `127.0.0.1:5000/app@${D1}`, registry: '127.0.0.1:5000', repository: 'app', digest: D1, resolvedFromTag: false }],
    createdAt: new Date(T0).toISOString(),
    observedAt: new Date(T0).toISOString(),
    ...over,
  };
}
const ev = (type: string, data: unknown): CloudEvent => makeEvent({ id: `e${++seq}`, type, source: 'test', data });
const started = (w: Workload) => ev(WorkloadStartedEvent.type, w);
const stopped = (w: Workload) => ev(WorkloadStoppedEvent.type, w);
function verified(opts: { signed?: boolean; keyId?: string; errors?: boolean; policyFail?: boolean } = {}): CloudEvent {
  const now = new Date(T0).toISOString();
  return ev(ArtifactVerifiedEvent.type, {
    image: { registry: '127.0.0.1:5000', repository: 'app', digest: D1 },
    tags: [],
    trigger: { source: 'k8s', deliveryId: 'x', action: 'verify' },
    signatures: opts.signed
      ? [{ format: 'cosign', foundBy: 'tag', ref: D1, verified: true, signer: { kind: 'publicKey', extensions: {}, keyId: opts.keyId ?? KEY }, timestamps: [] }]
      : [],
    attestations: [],
    policies: opts.policyFail
      ? [{ policy: 'signed', mode: 'enforce', result: 'fail', authorities: [], conditions: [], failures: ['unsigned'], reasons: [] }]
      : [],
    verdict: opts.policyFail ? 'fail' : 'no_policy',
    discoveryErrors: opts.errors ? [{ code: 'OCI_UNREACHABLE', message: 'down' }] : [],
    checkedAt: now,
    validUntil: new Date(T0 + 3_600_000).toISOString(),
  });
}
function decision(over: Record<string, unknown> = {}): CloudEvent {
  return ev(AdmissionDecisionEvent.type, {
    cluster: 'c1',
    uid: `rev-${seq}`,
    operation: 'CREATE',
    kind: 'Pod',
    namespace: 'default',
    dryRun: false,
    allowed: true,
    webhook: 'validate',
    images: [],
    warnings: [],
    deadlineExceeded: false,
    latencyMs: 1,
    decidedAt: new Date(T0 - 60_000).toISOString(),
    ...over,
  });
}

async function harness(ctx?: TestContext, config: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cw-wl-'));
  dirs.push(dir);
  const c = ctx ?? testContext(dir, T0);
  const d: WorkloadsDetector = createWorkloadsDetector({ reverify: { schedule: '0 0 1 1 *' }, evaluate: { schedule: '0 0 1 1 *' }, ...config }, c);
  await d.start();
  const feed = async (...events: CloudEvent[]) => {
    for (const e of events) await d.handle(e);
  };
  const findings = () => c.bus.events(topicFor('findings')).map((e) => e.data as Finding);
  const summary = () => findings().map((f) => `${f.status} ${f.rule}`);
  const requests = () => c.bus.events(topicFor('registry')).map((e) => e.data as RegistryManifest);
  return { ctx: c, d, feed, findings, summary, requests };
}

describe('workloads detector: image conditions', () => {
  it('asks for a check of a new image; unsigned fires once (redelivery too) and resolves when the workload stops', async () => {
    const h = await harness();
    await h.feed(started(workload()));
    expect(h.requests()).toEqual([
      expect.objectContaining({ source: 'k8s', action: 'verify', image: { registry: '127.0.0.1:5000', repository: 'app', digest: D1 } }),
    ]);
    const check = verified();
    await h.feed(check, check, verified());
    expect(h.summary()).toEqual([`firing ${RULES.unsigned}`]);
    expect(h.findings()[0]).toMatchObject({ category: 'security', subject: 'c1/default/Pod/web', causedBy: [check.id] });
    await h.feed(stopped(workload()));
    expect(h.summary()).toEqual([`firing ${RULES.unsigned}`, `resolved ${RULES.unsigned}`]);
    expect(h.findings()[1]!.dedupKey).toBe(h.findings()[0]!.dedupKey);
  });

  it('a signature that disappears fires; a registry that is down fires unverifiable and clears nothing; signed again resolves', async () => {
    const h = await harness();
    await h.feed(started(workload()), verified({ signed: true }));
    expect(h.summary()).toEqual([]);
    await h.feed(verified());
    expect(h.summary()).toEqual([`firing ${RULES.signatureDisappeared}`]);
    await h.feed(verified({ errors: true }));
    expect(h.summary()).toEqual([`firing ${RULES.signatureDisappeared}`, `firing ${RULES.unverifiable}`]);
    expect(h.findings()[1]!.category).toBe('infrastructure');
    await h.feed(verified({ signed: true }));
    expect(h.summary().slice(2).sort()).toEqual([`resolved ${RULES.signatureDisappeared}`, `resolved ${RULES.unverifiable}`]);
  });

  it('a signer revoked after deployment fires critical and asks for re-verification; policy failures fire and resolve', async () => {
    const h = await harness();
    await h.feed(started(workload()), verified({ signed: true, policyFail: true }));
    expect(h.summary()).toEqual([`firing ${RULES.policyFailed}`]);
    const before = h.requests().length;
    await h.feed(ev(KeyRevokedEvent.type, { kind: 'key', keyId: KEY, revokedAt: new Date(T0).toISOString(), reason: 'leaked', actor: 'sec', origin: 'cli' }));
    expect(h.summary()).toEqual([`firing ${RULES.policyFailed}`, `firing ${RULES.signerRevoked}`]);
    expect(h.findings()[1]).toMatchObject({ severity: 'critical', evidence: expect.objectContaining({ revoked: `key:${KEY}` }) });
    expect(h.requests().length).toBe(before + 1);
    await h.feed(verified({ signed: true, keyId: 'cd'.repeat(32) }));
    expect(h.summary().slice(2).sort()).toEqual([`resolved ${RULES.policyFailed}`, `resolved ${RULES.signerRevoked}`]);
  });

  it('state survives a restart: nothing fires twice, a stop still resolves', async () => {
    const h = await harness();
    await h.feed(started(workload()), verified());
    await h.d.stop();
    const again = await harness(h.ctx);
    await again.feed(verified(), started(workload({ resourceVersion: '11' })));
    expect(again.summary()).toEqual([`firing ${RULES.unsigned}`]);
    await again.feed(stopped(workload()));
    expect(again.summary()).toEqual([`firing ${RULES.unsigned}`, `resolved ${RULES.unsigned}`]);
    await again.d.stop();
  });
});

describe('workloads detector: admission bypass', () => {
  const signed = () => verified({ signed: true });
  const later = (ms: number) => new Date(T0 + ms).toISOString();

  it('nothing is judged before the webhook was seen; after it, a Pod without a decision fires once the grace period ended', async () => {
    const h = await harness();
    await h.feed(started(workload()), signed());
    h.ctx.clock.ms = T0 + 600_000;
    await h.d.evaluate();
    expect(h.summary()).toEqual([]); // no decision ever seen: the webhook is not known to be active

    await h.feed(decision({ name: 'other', decidedAt: later(5_000) })); // after web was created: web is not judged
    h.ctx.clock.ms = T0 + 30_000;
    await h.feed(started(workload({ name: 'late', uid: 'u2', createdAt: later(10_000) })));
    await h.d.evaluate();
    expect(h.summary()).toEqual([]); // within grace
    h.ctx.clock.ms = T0 + 200_000;
    await h.d.evaluate();
    await h.d.evaluate();
    expect(h.summary()).toEqual([`firing ${RULES.admissionBypassed}`]);
    expect(h.findings()[0]!.subject).toBe('c1/default/Pod/late');
    // The decision arrives late (another topic): it resolves.
    await h.feed(decision({ name: 'late', decidedAt: later(9_000) }));
    expect(h.summary()).toEqual([`firing ${RULES.admissionBypassed}`, `resolved ${RULES.admissionBypassed}`]);
  });

  it('controller-made Pods: an admitted owner or a nameless decision for the same images counts; a dry run does not', async () => {
    const h = await harness();
    await h.feed(decision({ kind: 'ReplicaSet', name: 'web-7d9', decidedAt: later(-1000) }));
    const ref = `127.0.0.1:5000/app@${D1}`;
    await h.feed(
      decision({
        name: undefined,
        images: [{ container: 'app', reference: ref, registry: '127.0.0.1:5000', repository: 'app', verdict: 'pass', cached: true, policies: [] }],
        decidedAt: later(500),
      }),
    );
    await h.feed(decision({ name: 'dry', dryRun: true, decidedAt: later(500) }));
    const owner = { kind: 'ReplicaSet', name: 'web-7d9', uid: 'rs1' };
    await h.feed(
      started(workload({ name: 'web-7d9-abcde', uid: 'p1', owner, createdAt: later(1000) })),
      started(workload({ name: 'web-x', uid: 'p2', createdAt: later(1000) })), // nameless decision, same images
      started(workload({ name: 'dry', uid: 'p3', createdAt: later(1000), images: [] })),
      signed(),
    );
    h.ctx.clock.ms = T0 + 600_000;
    await h.d.evaluate();
    expect(h.findings().map((f) => `${f.rule} ${f.subject}`)).toEqual([`${RULES.admissionBypassed} c1/default/Pod/dry`]);
  });
});
