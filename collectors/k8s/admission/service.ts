import { performance } from 'node:perf_hooks';
import {
  type AdmissionDecision,
  AdmissionDecisionEvent,
  type ArtifactVerified,
  ArtifactVerifiedEvent,
  type CloudEvent,
  type ComponentContext,
  type Counter,
  describeError,
  type Histogram,
  type ImageRef,
  imageSubject,
  makeEvent,
  type Metrics,
  noopMetrics,
  type RegistryManifest,
  RegistryManifestEvent,
  type RouteReply,
  type RouteRequest,
  type StateStore,
} from '../../../core/index.js';
import type { AdmissionSection } from './config.js';
import { decide, type Decided } from './decide.js';
import { TagResolver } from './resolve.js';
import { AdmissionError, admissionResponse, parseAdmissionReview } from './review.js';
import { knownVerdict, VerdictCache } from './verdicts.js';

const SOURCE = 'chainwatch://collectors/k8s/admission';
/** Kept back from the deadline for recording the decision and writing the reply. */
const reserveOf = (deadline: number): number => Math.min(250, Math.floor(deadline / 4));

/**
 * The admission webhook's state, shared by its routes and its component (routes get no bus at plan
 * time): the verdict cache, the tag resolver, and — once the component started — the bus to ask
 * collectors/signatures for verifications and to record decisions.
 *
 * Deadline: the request gets `deadline - reserve` to decide (tag resolution, waiting for a verdict;
 * every wait takes the same AbortSignal), then at most what is left of `deadline` to make the
 * decision event durable. The answer never waits past the deadline: a publish still running then
 * finishes in the background (logged and counted if it fails). So the audit trail holds every
 * decision unless the bus is slower than the deadline AND then fails.
 */
export class AdmissionService {
  readonly verdicts: VerdictCache;
  readonly resolver: TagResolver;
  private ctx: ComponentContext | undefined;
  private readonly asked = new Map<string, number>();
  private readonly pending: { event: CloudEvent; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private decisions: Counter;
  private latency: Histogram;
  private unrecorded: Counter;

  constructor(readonly section: AdmissionSection) {
    this.verdicts = new VerdictCache(section.stateKeyPrefix);
    this.resolver = new TagResolver(section);
    [this.decisions, this.latency, this.unrecorded] = this.instruments(noopMetrics);
  }

  bind(ctx: ComponentContext): void {
    this.ctx = ctx;
    [this.decisions, this.latency, this.unrecorded] = this.instruments(ctx.metrics);
  }

  unbind(ctx: ComponentContext): void {
    if (this.ctx === ctx) this.ctx = undefined;
  }

  get bound(): boolean {
    return this.ctx !== undefined;
  }

  /**
   * A registry.artifact.verified.v1 from the bus: kept (durably, in `state`) before the handler
   * resolves. The subscriber passes its own state store: the bus may deliver before bind() and
   * after unbind(), and a verdict must never be acknowledged without being stored.
   */
  async onVerified(state: StateStore, v: ArtifactVerified): Promise<void> {
    await this.verdicts.record(state, knownVerdict(v));
  }

  async handle(req: RouteRequest, webhook: 'validate' | 'mutate'): Promise<RouteReply> {
    const started = performance.now();
    let request;
    try {
      request = parseAdmissionReview(req.body);
    } catch (err) {
      if (!(err instanceof AdmissionError)) throw err;
      this.decisions.inc({ webhook, outcome: 'bad_request' });
      return { status: 400, body: { error: { code: err.code, message: err.message } } };
    }
    const deadline = this.section.deadline;
    const decideSignal = AbortSignal.any([req.signal, AbortSignal.timeout(deadline - reserveOf(deadline))]);
    const decided: Decided = await decide(
      request,
      this.section,
      { verdicts: this.verdicts, resolver: this.resolver, requestVerify: (image, uid) => this.requestVerify(image, uid), now: Date.now },
      decideSignal,
    );
    const latencyMs = performance.now() - started;
    const decision: AdmissionDecision = { ...decided.decision, webhook, latencyMs, decidedAt: new Date().toISOString() };
    await this.record(decision, started + deadline - 5 - performance.now());
    const outcome = decision.deadlineExceeded
      ? `timeout_${decision.allowed ? 'allowed' : 'denied'}`
      : decision.allowed
        ? decision.warnings.length > 0
          ? 'warned'
          : 'allowed'
        : 'denied';
    this.decisions.inc({ webhook, outcome });
    this.latency.observe({ webhook }, (performance.now() - started) / 1000);
    const patch = webhook === 'mutate' && decision.allowed ? decided.pins.map((p) => ({ op: 'replace', path: p.pointer, value: p.value })) : [];
    return {
      status: 200,
      body: admissionResponse({
        uid: decision.uid,
        allowed: decision.allowed,
        ...(decision.reason !== undefined && !decision.allowed ? { message: `chainwatch: ${decision.reason}` } : {}),
        warnings: decision.warnings,
        patch,
      }),
    };
  }

  /** Asks collectors/signatures to verify the digest, once per digest while an answer may still come. */
  private async requestVerify(image: ImageRef, uid: string): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) throw new AdmissionError('ADMISSION_NOT_RUNNING', 'admission is not running (no bus yet)');
    const subject = imageSubject(image);
    const now = Date.now();
    const last = this.asked.get(subject);
    if (last !== undefined && now - last < this.section.deadline) return;
    this.asked.set(subject, now);
    if (this.asked.size > 10_000) for (const [k, t] of this.asked) if (now - t >= this.section.deadline) this.asked.delete(k);
    const at = new Date(now).toISOString();
    const data: RegistryManifest = {
      source: 'admission',
      action: 'verify',
      image,
      deliveryId: `admission:${uid}:${image.digest}`,
      occurredAt: at,
      receivedAt: at,
    };
    try {
      await ctx.bus.publish(makeEvent({ type: RegistryManifestEvent.type, source: SOURCE, subject, time: new Date(now), data }), { key: subject });
    } catch (err) {
      this.asked.delete(subject);
      throw err;
    }
  }

  /** Makes the decision durable within `budgetMs`, else lets it finish in the background. */
  private async record(decision: AdmissionDecision, budgetMs: number): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) {
      this.unrecorded.inc({ reason: 'not_running' });
      return;
    }
    const subject = `${decision.cluster}/${decision.namespace ?? '-'}/${decision.kind}/${decision.name ?? '-'}`;
    const publish = this.batch(ctx, makeEvent({ type: AdmissionDecisionEvent.type, source: SOURCE, subject, data: decision }))
      .then(() => true)
      .catch((err: unknown) => {
        this.unrecorded.inc({ reason: 'publish_failed' });
        ctx.logger.error({ uid: decision.uid, err: describeError(err) }, 'admission decision not recorded');
        return true;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, budgetMs))));
    const inTime = await Promise.race([publish, late]);
    clearTimeout(timer);
    if (!inTime) {
      this.unrecorded.inc({ reason: 'late' });
      ctx.logger.warn({ uid: decision.uid }, 'admission answered before its decision event was durable (bus slower than the deadline)');
    }
  }

  /**
   * Decisions of concurrent reviews go to the bus as one publish (one commit, one wake-up of the
   * bus's readers) instead of one each: under load that is most of the warm path's cost. Each
   * review still waits for its own event to be durable. Keyed by subject (the object), so the
   * decisions about one object stay in order.
   */
  private batch(ctx: ComponentContext, event: CloudEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flushBatch(ctx));
    });
  }

  private async flushBatch(ctx: ComponentContext): Promise<void> {
    const batch = this.pending.splice(0, 500);
    if (this.pending.length > 0) setImmediate(() => void this.flushBatch(ctx));
    try {
      await ctx.bus.publish(batch.map((b) => b.event));
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  private instruments(m: Metrics): [Counter, Histogram, Counter] {
    return [
      m.counter('admission_decisions_total', 'Admission reviews answered, by webhook and outcome', ['webhook', 'outcome']),
      m.histogram(
        'admission_latency_seconds',
        'Admission review latency (parse to reply)',
        ['webhook'],
        [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      ),
      m.counter('admission_decisions_unrecorded_total', 'Decisions answered before (or without) their event being durable', ['reason']),
    ];
  }
}

export const isVerified = (type: string): boolean => type === ArtifactVerifiedEvent.type;
