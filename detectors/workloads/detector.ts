import { schedule, type ScheduledTask } from 'node-cron';
import {
  type AdmissionDecision,
  AdmissionDecisionEvent,
  type ArtifactVerified,
  ArtifactVerifiedEvent,
  type CloudEvent,
  type Component,
  type ComponentContext,
  type Finding,
  FindingEvent,
  type KeyRevoked,
  KeyRevokedEvent,
  parseConfig,
  revocationSubject,
  type Subscription,
  topicFor,
  type Workload,
  WorkloadChangedEvent,
  workloadKey,
  WorkloadStartedEvent,
  WorkloadStoppedEvent,
} from '../../core/index.js';
import { dedupKey, findingsCounter } from '../shared/index.js';
import { type WorkloadsConfig, type WorkloadsConfigInput, workloadsConfigSchema } from './config.js';
import { DETECTOR, firedRecord, firing, resolved, verifyRequest } from './findings.js';
import { type Admission, admittedAt } from './admission.js';
import { bypassConclusion, factsFrom, imageConclusions, judged, running } from './rules.js';
import { type WorkloadRecord, WorkloadsState } from './state.js';

/**
 * Judges what runs (k8s.workload.*) against image checks (registry.artifact.verified),
 * revocations (keys.revoked) and admission decisions, one event at a time (the state is
 * read-modify-write), and keeps running images re-verified:
 *   1. remember the fact the event brings (in memory);
 *   2. re-judge the workloads it concerns: new conditions fire once, cleared ones resolve;
 *   3. publish findings and verification requests;
 *   4. only then write the state.
 * A crash between 3 and 4 redelivers the event: the same finding ids again (they derive from the
 * event id), never a finding lost. A revocation is written FIRST, like key-misuse does.
 */
export class WorkloadsDetector implements Component {
  readonly name = 'detector.workloads';
  private sub: Subscription | undefined;
  private tasks: ScheduledTask[] = [];
  private readonly state: WorkloadsState;
  private readonly admission: Admission;
  private readonly counted: ReturnType<typeof findingsCounter>;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly config: WorkloadsConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.state = new WorkloadsState(ctx.state);
    this.admission = { state: this.state, config: config.admission };
    this.counted = findingsCounter(ctx.metrics);
  }

  async start(): Promise<void> {
    if (this.sub) return;
    await this.state.load();
    const every = (expr: string, what: string, fn: () => Promise<void>) =>
      this.tasks.push(
        schedule(expr, () => this.serial(fn).catch((err: unknown) => this.ctx.logger.warn({ err, what }, 'workloads: scheduled run failed')), {
          name: `workloads:${what}`,
          noOverlap: true,
        }),
      );
    every(this.config.reverify.schedule, 'reverify', () => this.reverifyAll('schedule'));
    every(this.config.evaluate.schedule, 'evaluate', () => this.evaluate());
    this.sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('k8s'), topicFor('registry'), topicFor('keys'), topicFor('findings')],
      fromBeginning: true,
      handler: (rec) => this.serial(() => this.handle(rec.event)),
    });
    this.ctx.logger.info({ workloads: this.state.workloads.size, images: this.state.images.size }, 'workloads detector started');
  }

  async stop(): Promise<void> {
    for (const t of this.tasks.splice(0)) await t.destroy();
    const sub = this.sub;
    this.sub = undefined;
    await sub?.stop();
    await this.chain.catch(() => undefined);
  }

  async flush(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  health(): { ready: boolean; detail?: string } {
    return { ready: this.sub !== undefined, detail: `${this.state.workloads.size} workload(s), ${this.state.images.size} image(s)` };
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async handle(ev: CloudEvent): Promise<void> {
    switch (ev.type) {
      case WorkloadStartedEvent.type:
      case WorkloadChangedEvent.type:
        return this.onWorkload(ev, ev.data as Workload);
      case WorkloadStoppedEvent.type:
        return this.onStopped(ev, ev.data as Workload);
      case ArtifactVerifiedEvent.type:
        return this.onVerified(ev, ev.data as ArtifactVerified);
      case KeyRevokedEvent.type:
        return this.onRevoked(ev, ev.data as KeyRevoked);
      case AdmissionDecisionEvent.type:
        return this.onDecision(ev, ev.data as AdmissionDecision);
      case FindingEvent.type:
        return this.onFinding(ev.data as Finding);
      default:
        return; // manifests (including our own requests) and other events say nothing here
    }
  }

  /** Re-judges every workload (bypass checks whose grace period ended); cron `evaluate`. */
  async evaluate(): Promise<void> {
    const id = `evaluate:${this.ctx.now().toISOString()}`;
    for (const key of [...this.state.workloads.keys()]) await this.rejudge(key, id);
  }

  /** Asks for a fresh check of every image in use; cron `reverify`, revocations, key-misuse findings. */
  async reverifyAll(reason: string): Promise<void> {
    const now = this.ctx.now();
    const digests = new Set([...this.state.workloads.values()].flatMap((r) => r.w.images.flatMap((i) => (i.digest ? [i.digest] : []))));
    const reqs = [...digests].flatMap((d) => {
      const f = this.state.images.get(d);
      return f ? [verifyRequest(this.config, f, reason, now)] : [];
    });
    if (reqs.length > 0) await this.ctx.bus.publish(reqs);
  }

  private async onWorkload(ev: CloudEvent, w: Workload): Promise<void> {
    const key = workloadKey(w);
    const prev = this.state.workloads.get(key);
    if (prev && prev.w.uid !== w.uid) await this.finish(key, prev, ev.id, 'The object was deleted and created again.');
    if (!running(w)) return this.finish(key, this.state.workloads.get(key), ev.id, `The Pod ${w.phase}.`);
    const rec: WorkloadRecord = { w, fired: this.state.workloads.get(key)?.fired ?? {} };
    // Images in use that were never checked, or whose result expired, are asked for now.
    const now = this.ctx.now();
    const requests = [];
    for (const img of w.images) {
      if (!img.digest) continue;
      const f = this.state.images.get(img.digest) ?? { registry: img.registry, repository: img.repository, digest: img.digest, signedSeen: false };
      const stale = !f.check || Date.parse(f.check.validUntil) <= now.getTime();
      const asked = f.requestedAt !== undefined && now.getTime() - Date.parse(f.requestedAt) < 60_000;
      if (stale && !asked) {
        requests.push(verifyRequest(this.config, f, 'started', now));
        await this.state.putImage({ ...f, requestedAt: now.toISOString() });
      } else if (!this.state.images.has(img.digest)) await this.state.putImage(f);
    }
    if (requests.length > 0) await this.ctx.bus.publish(requests);
    await this.judge(key, rec, ev.id);
  }

  private async onStopped(ev: CloudEvent, w: Workload): Promise<void> {
    const key = workloadKey(w);
    const rec = this.state.workloads.get(key);
    if (rec && rec.w.uid === w.uid) await this.finish(key, rec, ev.id, 'The workload stopped.');
  }

  private async onVerified(ev: CloudEvent, a: ArtifactVerified): Promise<void> {
    const prev = this.state.images.get(a.image.digest);
    if (!prev) return; // not an image anything watched runs
    const facts = factsFrom(prev, a, ev.id);
    this.state.images.set(facts.digest, facts); // in memory for the judgement; written after publishing
    for (const [key, r] of this.state.workloads) if (r.w.images.some((i) => i.digest === facts.digest)) await this.rejudge(key, ev.id);
    await this.state.putImage(facts);
  }

  private async onRevoked(ev: CloudEvent, r: KeyRevoked): Promise<void> {
    await this.state.putRevocation(revocationSubject(r), r);
    for (const key of [...this.state.workloads.keys()]) await this.rejudge(key, ev.id);
    await this.reverifyAll('revoked');
  }

  private async onDecision(ev: CloudEvent, d: AdmissionDecision): Promise<void> {
    await this.state.noteAdmissionActive(d.cluster, d.decidedAt);
    if (!d.allowed || d.dryRun || d.operation !== 'CREATE' || d.namespace === undefined) return;
    if (d.name) await this.state.putAdmitted(`${d.cluster}/${d.namespace}/${d.kind}/${d.name}`, d.decidedAt);
    else if (d.kind === 'Pod')
      await this.state.addAnonymous(
        `${d.cluster}/${d.namespace}`,
        d.images
          .map((i) => i.reference)
          .sort()
          .join('\n'),
        d.decidedAt,
      );
    const scope = `${d.cluster}/${d.namespace}/`;
    for (const key of [...this.state.workloads.keys()]) if (key.startsWith(scope)) await this.rejudge(key, ev.id);
  }

  private async onFinding(f: Finding): Promise<void> {
    // Key-misuse findings say a signer or policy verdict changed: re-check what runs.
    if (f.detector === DETECTOR || f.detector !== 'key-misuse' || f.status !== 'firing') return;
    const m = /@(sha(?:256|384|512):[0-9a-f]+)$/.exec(f.subject);
    const facts = m ? this.state.images.get(m[1]!) : undefined;
    if (facts) await this.ctx.bus.publish([verifyRequest(this.config, facts, 'key-misuse', this.ctx.now())]);
    else if (!m) await this.reverifyAll('key-misuse');
  }

  private async rejudge(key: string, causedBy: string): Promise<void> {
    const rec = this.state.workloads.get(key);
    if (rec) await this.judge(key, rec, causedBy);
  }

  /** Fires new conditions, resolves cleared ones, then writes the record. */
  private async judge(key: string, rec: WorkloadRecord, causedBy: string): Promise<void> {
    const now = this.ctx.now();
    const w = rec.w;
    const conclusions = judged(w) ? imageConclusions(this.config, w, (d) => this.state.images.get(d), [...this.state.revocations.values()]) : [];
    const bypass = judged(w) && this.config.admission.required ? await admittedAt(this.admission, w, now, this.state.workloads) : 'admitted';
    if (bypass === 'pending') {
      const fired = Object.entries(rec.fired).find(([, f]) => f.rule === 'workload.admission_bypassed');
      if (fired) conclusions.push(bypassConclusion(this.config, w, undefined)!); // keep what already fired
    } else if (bypass === 'missing') conclusions.push(bypassConclusion(this.config, w, undefined)!);
    const out: CloudEvent<Finding>[] = [];
    const fired = { ...rec.fired };
    const live = new Set<string>();
    for (const c of conclusions) {
      const k = dedupKey(c.rule, ...c.dedup);
      live.add(k);
      if (fired[k]) continue; // one finding per condition per workload
      const e = firing(this.config, c, key, causedBy, now);
      out.push(e);
      fired[k] = firedRecord(e, c.digest);
    }
    for (const [k, f] of Object.entries(fired)) {
      if (live.has(k)) continue;
      // A check that could not look (registry down) neither fires nor clears signature conditions.
      const check = f.digest ? this.state.images.get(f.digest)?.check : undefined;
      if (f.category === 'security' && f.rule !== 'workload.admission_bypassed' && check && check.discoveryErrors.length > 0) continue;
      out.push(resolved(this.config, k, f, 'A later check no longer shows this condition.', causedBy, now));
      delete fired[k];
    }
    await this.publish(out);
    await this.state.putWorkload(key, { w, fired });
  }

  /** The workload stopped (or was replaced): everything that fired for it resolves. */
  private async finish(key: string, rec: WorkloadRecord | undefined, causedBy: string, why: string): Promise<void> {
    if (!rec) return;
    const now = this.ctx.now();
    await this.publish(Object.entries(rec.fired).map(([k, f]) => resolved(this.config, k, f, why, causedBy, now)));
    await this.state.putWorkload(key, undefined);
  }

  private async publish(out: CloudEvent<Finding>[]): Promise<void> {
    if (out.length === 0) return;
    await this.ctx.bus.publish(out);
    this.counted(out);
  }
}

/** Factory for tests and embedding; `config` is the raw section (validated here, defaults applied). */
export function createWorkloadsDetector(config: WorkloadsConfigInput, ctx: ComponentContext): WorkloadsDetector {
  return new WorkloadsDetector(parseConfig(workloadsConfigSchema, config ?? {}, 'detectors.workloads'), ctx);
}
