import { afterEach, describe, expect, it } from 'vitest';
import {
  type AdmissionDecision,
  AdmissionDecisionEvent,
  type ArtifactVerified,
  ArtifactVerifiedEvent,
  type CloudEvent,
  makeEvent,
  type RegistryManifest,
  RegistryManifestEvent,
  type RouteRequest,
  type Subscription,
  topicFor,
} from '../../../core/index.js';
import { type TestContext, testContext } from '../../../core/testing/index.js';
import { admissionSectionSchema, type AdmissionSection } from './config.js';
import { AdmissionService } from './service.js';

const D = (n: number): string => `sha256:${n.toString(16).padStart(2, '0').repeat(32)}`;
const REG = '127.0.0.1:5999';

function section(over: Record<string, unknown> = {}): AdmissionSection {
  return admissionSectionSchema.parse({ bearer: [{ token: 'x'.repeat(24), principal: 'kube' }], deadline: '400ms', ...over })!;
}

function review(object: unknown, over: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: `uid-${Math.random()}`,
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'apps',
        name: 'p',
        userInfo: { username: 'alice' },
        object,
        ...over,
      },
    }),
  );
}
const pod = (...images: string[]): unknown => ({
  metadata: { name: 'p', labels: { app: 'p' } },
  spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
});
const request = (body: Buffer): RouteRequest => ({
  method: 'POST',
  params: {},
  query: new URLSearchParams(),
  headers: {},
  body,
  principal: { id: 'bearer:kube', roles: [] },
  signal: new AbortController().signal,
});

interface Answer {
  status: number;
  body: { response?: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[] }; error?: { code: string } };
}

function verified(digest: string, policies: ArtifactVerified['policies'], verdict: ArtifactVerified['verdict']): ArtifactVerified {
  const now = Date.now();
  return {
    image: { registry: REG, repository: 'team/app', digest },
    tags: [],
    trigger: { source: 'admission', deliveryId: 'x', action: 'verify' },
    signatures: [],
    attestations: [],
    policies,
    verdict,
    discoveryErrors: [],
    checkedAt: new Date(now).toISOString(),
    validUntil: new Date(now + 3600_000).toISOString(),
  };
}
const policy = (name: string, mode: 'enforce' | 'warn', result: 'pass' | 'fail') => ({
  policy: name,
  mode,
  result,
  authorities: [],
  conditions: [],
  failures: result === 'fail' ? ['unsigned'] : [],
  reasons: [],
});

/** Answers verify requests the way collectors/signatures does (its own tests cover it): one artifact.verified per request. */
async function responder(ctx: TestContext, answers: Map<string, ArtifactVerified>): Promise<Subscription> {
  return ctx.bus.subscribe({
    group: 'fake-signatures',
    topics: [topicFor('registry')],
    handler: async (rec) => {
      if (rec.event.type !== RegistryManifestEvent.type) return;
      const m = rec.event.data as RegistryManifest;
      const a = answers.get(m.image.digest);
      if (a)
        await ctx.bus.publish(
          makeEvent({
            type: ArtifactVerifiedEvent.type,
            source: 'test',
            data: { ...a, trigger: { source: m.source, deliveryId: m.deliveryId, action: m.action } },
          }),
        );
    },
  });
}

function events<T>(ctx: TestContext, type: string): T[] {
  return [...ctx.bus.topics.values()]
    .flat()
    .map((r) => JSON.parse(r.value.toString()) as CloudEvent)
    .filter((e) => e.type === type)
    .map((e) => e.data as T);
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function running(
  s: AdmissionSection,
  answers = new Map<string, ArtifactVerified>(),
  ctx = testContext('/tmp'),
): Promise<{ svc: AdmissionService; ctx: TestContext }> {
  const svc = new AdmissionService(s);
  await svc.verdicts.load(ctx.state);
  const sub = await ctx.bus.subscribe({
    group: 'admission',
    topics: [topicFor('registry')],
    fromBeginning: true,
    handler: async (rec) => {
      if (rec.event.type === ArtifactVerifiedEvent.type) await svc.onVerified(ctx.state, rec.event.data as ArtifactVerified);
    },
  });
  const fake = await responder(ctx, answers);
  svc.bind(ctx);
  stops.push(async () => {
    await sub.stop();
    await fake.stop();
  });
  return { svc, ctx };
}

const ask = async (svc: AdmissionService, body: Buffer, webhook: 'validate' | 'mutate' = 'validate'): Promise<Answer> =>
  (await svc.handle(request(body), webhook)) as Answer;

describe('AdmissionService (MemoryBus; the real daemon, registry and cosign: test/e2e/admission.test.ts)', () => {
  it.each([
    [Buffer.from('{not json'), 'ADMISSION_MALFORMED_JSON'],
    [Buffer.from('[]'), 'ADMISSION_MALFORMED_REVIEW'],
    [Buffer.from(JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u' } })), 'ADMISSION_WRONG_VERSION'],
    [Buffer.from(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'ConversionReview' })), 'ADMISSION_WRONG_VERSION'],
    [Buffer.from(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' })), 'ADMISSION_MALFORMED_REVIEW'],
    [
      Buffer.from(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'Pod' }, operation: 'CREATE' } })),
      'ADMISSION_MALFORMED_REVIEW',
    ],
  ])('400 with a code for %s', async (body, code) => {
    const { svc } = await running(section());
    const a = await ask(svc, body);
    expect([a.status, a.body.error?.code]).toEqual([400, code]);
  });

  it('asks for verification on a miss, answers from the cache after, and records every decision', async () => {
    const digest = D(1);
    const { svc, ctx } = await running(section(), new Map([[digest, verified(digest, [policy('signed', 'enforce', 'pass')], 'pass')]]));
    const first = await ask(svc, review(pod(`${REG}/team/app@${digest}`)));
    expect(first.body.response).toMatchObject({ allowed: true });
    const asked = events<RegistryManifest>(ctx, RegistryManifestEvent.type);
    expect(asked).toMatchObject([{ source: 'admission', action: 'verify', image: { registry: REG, repository: 'team/app', digest } }]);
    const second = await ask(svc, review(pod(`${REG}/team/app@${digest}`)));
    expect(second.body.response?.allowed).toBe(true);
    expect(events(ctx, RegistryManifestEvent.type)).toHaveLength(1);
    const decisions = events<AdmissionDecision>(ctx, AdmissionDecisionEvent.type);
    expect(decisions.map((d) => [d.allowed, d.images[0]?.verdict, d.images[0]?.cached, d.user])).toEqual([
      [true, 'pass', false, 'alice'],
      [true, 'pass', true, 'alice'],
    ]);
  });

  it('denies on an enforce failure and warns on a warn failure', async () => {
    const bad = D(2);
    const warned = D(3);
    const { svc, ctx } = await running(
      section(),
      new Map([
        [bad, verified(bad, [policy('signed', 'enforce', 'fail')], 'fail')],
        [warned, verified(warned, [policy('signed-soon', 'warn', 'fail'), policy('other', 'enforce', 'not_applicable' as 'pass')], 'pass')],
      ]),
    );
    const denied = await ask(svc, review(pod(`${REG}/team/app@${bad}`)));
    expect(denied.body.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(denied.body.response?.status?.message).toContain('signed');
    const allowed = await ask(svc, review(pod(`${REG}/team/app@${warned}`)));
    expect(allowed.body.response?.allowed).toBe(true);
    expect(allowed.body.response?.warnings?.join('\n')).toContain('signed-soon');
    expect(events<AdmissionDecision>(ctx, AdmissionDecisionEvent.type).map((d) => [d.allowed, d.warnings.length > 0])).toEqual([
      [false, false],
      [true, true],
    ]);
  });

  it.each([
    ['deny', false],
    ['allow', true],
  ])('no verdict before the deadline: onTimeout %s', async (onTimeout, allowed) => {
    const { svc, ctx } = await running(section({ onTimeout }));
    const a = await ask(svc, review(pod(`${REG}/team/app@${D(4)}`)));
    expect(a.body.response?.allowed).toBe(allowed);
    const [d] = events<AdmissionDecision>(ctx, AdmissionDecisionEvent.type);
    expect([d?.deadlineExceeded, d?.images[0]?.verdict, d?.latencyMs !== undefined && d.latencyMs < 400]).toEqual([true, 'unknown', true]);
  });

  it('refuses an odd image reference with its code and checks a Deployment template', async () => {
    const digest = D(5);
    const { svc } = await running(section(), new Map([[digest, verified(digest, [policy('signed', 'enforce', 'fail')], 'fail')]]));
    const odd = await ask(svc, review(pod('Bad/Image')));
    expect(odd.body.response?.allowed).toBe(false);
    expect(odd.body.response?.status?.message).toContain('IMAGE_REF_UPPERCASE');
    const deployment = { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'app', image: `${REG}/team/app@${digest}` }] } } } };
    const dep = await ask(svc, review(deployment, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }));
    expect(dep.body.response?.allowed).toBe(false);
  });

  it('does not check excluded namespaces, skip labels, deletes or other kinds (the decision is still recorded)', async () => {
    const { svc, ctx } = await running(section({ labels: { skip: { 'chainwatch.dev/skip': 'true' } } }));
    const unverifiable = pod(`${REG}/team/app@${D(6)}`);
    const answers = await Promise.all([
      ask(svc, review(unverifiable, { namespace: 'kube-system' })),
      ask(svc, review({ ...(unverifiable as object), metadata: { labels: { 'chainwatch.dev/skip': 'true' } } })),
      ask(svc, review(null, { operation: 'DELETE' })),
      ask(svc, review({ spec: {} }, { kind: { group: '', version: 'v1', kind: 'Service' } })),
    ]);
    expect(answers.map((a) => a.body.response?.allowed)).toEqual([true, true, true, true]);
    expect(events<AdmissionDecision>(ctx, AdmissionDecisionEvent.type).map((d) => d.reason)).toHaveLength(4);
    expect(events(ctx, RegistryManifestEvent.type)).toHaveLength(0);
  });

  it('keeps verdicts across a restart (StateStore)', async () => {
    const digest = D(7);
    const first = await running(section(), new Map([[digest, verified(digest, [policy('signed', 'enforce', 'pass')], 'pass')]]));
    await ask(first.svc, review(pod(`${REG}/team/app@${digest}`)));
    const ctx = testContext('/tmp');
    Object.assign(ctx, { state: first.ctx.state });
    const again = await running(section(), new Map(), ctx);
    const a = await ask(again.svc, review(pod(`${REG}/team/app@${digest}`)));
    expect(a.body.response?.allowed).toBe(true);
    expect(events(ctx, RegistryManifestEvent.type)).toHaveLength(0);
  });

  it('an unreachable registry for a tag follows onTimeout within the deadline', async () => {
    const { svc, ctx } = await running(section({ onTimeout: 'allow' }));
    // Nothing listens on port 9 of loopback: the tag cannot be resolved.
    const a = await ask(svc, review(pod('127.0.0.1:9/team/app:v1')));
    expect(a.body.response?.allowed).toBe(true);
    expect(a.body.response?.warnings?.join('\n')).toContain('onTimeout: allow');
    expect(events<AdmissionDecision>(ctx, AdmissionDecisionEvent.type)[0]?.images[0]).toMatchObject({ verdict: 'unknown', tag: 'v1' });
  });

  it('a verify request the bus refuses is not reported as a deadline: onTimeout applies at once, deadlineExceeded false', async () => {
    const ctx = testContext('/tmp');
    const publish = ctx.bus.publish.bind(ctx.bus);
    ctx.bus.publish = async (batch, opts) => {
      if ([batch].flat().some((e) => e.type === RegistryManifestEvent.type)) throw new Error('bus refused');
      return publish(batch, opts);
    };
    const svc = new AdmissionService(section({ deadline: '1500ms' }));
    svc.bind(ctx);
    const started = Date.now();
    const a = await ask(svc, review(pod(`${REG}/team/app@${D(9)}`)));
    expect([a.body.response?.allowed, Date.now() - started < 1000]).toEqual([false, true]);
    const [d] = events<AdmissionDecision>(ctx, AdmissionDecisionEvent.type);
    expect([d?.deadlineExceeded, d?.images[0]?.verdict]).toEqual([false, 'unknown']);
  });

  it('a bus that never accepts does not hold the answer past the deadline (fail-closed, decision counted as late)', async () => {
    const ctx = testContext('/tmp');
    ctx.bus.publish = () => new Promise<void>(() => {});
    const svc = new AdmissionService(section());
    svc.bind(ctx);
    const a = await ask(svc, review(pod(`${REG}/team/app@${D(8)}`)));
    expect([a.status, a.body.response?.allowed]).toEqual([200, false]);
    expect(ctx.metrics.get('admission_decisions_unrecorded_total', { reason: 'late' })).toBe(1);
    expect(ctx.metrics.get('admission_decisions_total', { webhook: 'validate', outcome: 'timeout_denied' })).toBe(1);
  });
});
