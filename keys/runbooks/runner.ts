import { readFileSync } from 'node:fs';
import {
  ArtifactVerifiedEvent,
  type CloudEvent,
  type Component,
  type KeyRevoked,
  KeyRevokedEvent,
  type ComponentContext,
  describeError,
  makeEvent,
  RekorEntryEvent,
  type RunbookApproval,
  RunbookApprovalEvent,
  type RunbookRequested,
  RunbookRequestedEvent,
  type RunbookStep,
  RunbookStepEvent,
  type Subscription,
  topicFor,
} from '../../core/index.js';
import { bindApi, unbindApi } from './api.js';
import { type Approver, approverOf } from './approvals.js';
import type { RunbooksConfig } from './config.js';
import { bindParameters, loadRunbook, resolveStep, type Step } from './definition.js';
import { getRun, listRuns, PUBLISHED_PREFIX, putApproval, putRun, type RunState, runEventId, signedPrefix, type StepRecord } from './state.js';
import { signedBy } from './signed-index.js';
import { executeStep, type StepContext } from './steps.js';

/**
 * Runs runbooks inside the daemon. Why here and not in the CLI process: a run outlives the
 * command that asked for it (it waits hours for approvals), and after a crash the supervisor and
 * the next start resume it from its durable record with nobody re-typing anything.
 *
 *   chainwatch.keys: runbook.requested ─┐             ┌─> step outcome events (audit trail)
 *                    runbook.approval  ─┼─> handler ──┤   keys.revoked, findings (incident, notify)
 *   chainwatch.registry / rekor ────────┘  (durable   └─> the signed-by index (find-signed)
 *                                            state)  ──> advance(run), one step at a time
 *
 * Invariant: the handler returns (and the offset commits) only after the request or approval is
 * in the StateStore; runs advance outside the handler (a run waiting for approvals must not block
 * the consumer that delivers them), and on start() every unfinished run is resumed.
 */
export class RunbookRunner implements Component {
  readonly name = 'keys.runbooks';
  #sub: Subscription | undefined;
  #approvers: Approver[] = [];
  #chains = new Map<string, Promise<void>>();
  #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly config: RunbooksConfig,
    private readonly ctx: ComponentContext,
  ) {}

  async start(): Promise<void> {
    this.#stopped = false;
    this.#approvers = this.config.approvers.map((a) => approverOf(a.name, a.publicKey ?? readFileSync(a.publicKeyFile!, 'utf8')));
    this.#sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('keys'), topicFor('registry'), topicFor('rekor')],
      fromBeginning: true,
      handler: async (rec) => this.#consume(rec.event),
    });
    for (const runId of await listRuns(this.ctx.state)) this.#schedule(runId);
    bindApi(this.ctx.dataDir, { bus: this.ctx.bus, state: this.ctx.state });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    unbindApi(this.ctx.dataDir);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const sub = this.#sub;
    this.#sub = undefined;
    await sub?.stop();
    await Promise.allSettled([...this.#chains.values()]);
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.#chains.values()]);
  }

  async #consume(ev: CloudEvent): Promise<void> {
    switch (ev.type) {
      case RunbookRequestedEvent.type: {
        const r = ev.data as RunbookRequested;
        if (await getRun(this.ctx.state, r.runId)) return; // a redelivery, or a second request with a used id
        await putRun(this.ctx.state, {
          runId: r.runId,
          runbook: r.runbook,
          parameters: r.parameters,
          requestedBy: r.requestedBy,
          requestedAt: ev.time ?? this.ctx.now().toISOString(),
          requestEventId: ev.id,
          status: 'running',
          steps: {},
          published: [],
        });
        this.#schedule(r.runId);
        return;
      }
      case RunbookApprovalEvent.type: {
        const a = ev.data as RunbookApproval;
        await putApproval(this.ctx.state, ev.id, a);
        this.#schedule(a.runId);
        return;
      }
      case ArtifactVerifiedEvent.type:
      case RekorEntryEvent.type:
        for (const [keyId, rec] of signedBy(ev, this.ctx.now())) await this.ctx.state.put(`${signedPrefix(keyId)}${ev.id}`, rec);
        return;
      case KeyRevokedEvent.type: {
        // Our own revocations, remembered so a resumed step can tell it already published (#alreadyPublished).
        const r = ev.data as KeyRevoked;
        if (r.origin === 'runbook' && r.runId) await this.ctx.state.put(`${PUBLISHED_PREFIX}${ev.id}`, r.runId);
        return;
      }
      default:
        return; // step outcomes: ours, nothing to do
    }
  }

  /** Advances a run after whatever is already advancing it (one step at a time per run). */
  #schedule(runId: string): void {
    if (this.#stopped) return;
    const prev = this.#chains.get(runId) ?? Promise.resolve();
    const next = prev
      .then(() => this.#advance(runId))
      .catch((err) => this.ctx.fail(err)) // a store or bus failure: the supervisor restarts us and we resume
      .finally(() => {
        if (this.#chains.get(runId) === next) this.#chains.delete(runId);
      });
    this.#chains.set(runId, next);
  }

  async #advance(runId: string): Promise<void> {
    const state = this.ctx.state;
    const run = await getRun(state, runId);
    if (!run || this.#stopped) return;
    if (run.status === 'done' || run.status === 'failed') return this.#finish(run);
    let steps: Step[];
    let params: Record<string, string>;
    try {
      const rb = loadRunbook(this.config.dir, run.runbook);
      params = bindParameters(rb, run.parameters);
      steps = rb.steps;
    } catch (err) {
      run.status = 'failed';
      run.error = describeError(err);
      await putRun(state, run);
      return this.#finish(run);
    }
    for (const raw of steps) {
      if (this.#stopped) return;
      const step = resolveStep(raw, params);
      let rec: StepRecord | undefined = run.steps[step.id];
      if (rec?.status === 'done') {
        await this.#announce(run, step, rec, 'done');
        continue;
      }
      if (rec?.status === 'failed') break;
      const resumed = rec?.status === 'intent';
      if (!rec || rec.status !== 'intent') {
        // Intent first: durable before any effect, so a crash from here on resumes in this step.
        rec = {
          status: 'intent',
          type: step.type,
          published: rec?.published ?? [],
          at: this.ctx.now().toISOString(),
          ...(rec?.output ? { output: rec.output } : {}),
        };
        run.steps[step.id] = rec;
        await putRun(state, run);
      }
      await this.#announce(run, step, rec, 'started');
      this.#crashPoint(step.id, 'before-effect');
      try {
        const outcome = await executeStep(step, this.#stepContext(run, resumed));
        if (outcome.kind === 'waiting') {
          rec.status = 'waiting';
          rec.output = outcome.output;
          run.status = 'waiting';
          await putRun(state, run);
          await this.#announce(run, step, rec, 'waiting');
          this.#wakeAt(runId, outcome.until);
          return;
        }
        this.#crashPoint(step.id, 'after-effect');
        Object.assign(rec, { status: 'done', output: outcome.output, alreadyApplied: outcome.alreadyApplied, at: this.ctx.now().toISOString() });
        run.status = 'running';
        await putRun(state, run); // done is durable before the next step starts
        await this.#announce(run, step, rec, 'done');
      } catch (err) {
        const e = describeError(err);
        if ((err as { retriable?: boolean }).retriable) throw err; // a token or bus away for a while: the supervisor retries
        Object.assign(rec, { status: 'failed', error: { code: e.code, message: e.message.slice(0, 2000) }, at: this.ctx.now().toISOString() });
        const partial = (err as { output?: Record<string, unknown> }).output;
        if (partial) rec.output = partial;
        run.status = 'failed';
        run.error = { code: e.code, message: `step ${step.id}: ${e.message}`.slice(0, 2000) };
        await putRun(state, run);
        await this.#announce(run, step, rec, 'failed');
        return this.#finish(run);
      }
    }
    if (Object.values(run.steps).some((s) => s.status === 'failed')) run.status = 'failed';
    else run.status = 'done';
    await putRun(state, run);
    return this.#finish(run);
  }

  #stepContext(run: RunState, resumed: boolean): StepContext {
    const hsm = this.config.hsm;
    return {
      bus: this.ctx.bus,
      state: this.ctx.state,
      approvers: this.#approvers,
      hsm,
      source: this.config.source,
      now: () => this.ctx.now(),
      run,
      resumed,
      alreadyPublished: (id) => this.#alreadyPublished(id),
    };
  }

  /**
   * Whether event `id` is on the keys topic: once our consumer group has no lag there, every
   * record on it went through #consume, which remembers our revocations. Without catching up in
   * time (a bus slow to deliver) the answer is "no" and the step publishes again with the same
   * id, which every consumer treats as a redelivery.
   */
  async #alreadyPublished(id: string): Promise<boolean> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !this.#stopped) {
      const lag = (await this.ctx.bus.lag(this.config.group)).filter((l) => l.topic === topicFor('keys'));
      if (lag.every((l) => l.lag <= 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return (await this.ctx.state.get(`${PUBLISHED_PREFIX}${id}`)) !== undefined;
  }

  /** Publishes a step's outcome event once (same id on a repeat), then records that it did. */
  async #announce(run: RunState, step: Pick<Step, 'id' | 'type'>, rec: StepRecord, status: RunbookStep['status']): Promise<void> {
    const key = status === 'waiting' ? `waiting:${JSON.stringify(rec.output?.approvedBy ?? [])}` : status;
    if (rec.published.includes(key)) return;
    await this.ctx.bus.publish(this.#stepEvent(run, step.id, step.type, status, rec, key));
    rec.published.push(key);
    await putRun(this.ctx.state, run);
  }

  async #finish(run: RunState): Promise<void> {
    const status = run.status === 'done' ? 'done' : 'failed';
    if (run.published.includes(status) || (run.status !== 'done' && run.status !== 'failed')) return;
    const rec: StepRecord = { status, type: 'run', published: [], at: this.ctx.now().toISOString(), ...(run.error ? { error: run.error } : {}) };
    await this.ctx.bus.publish(this.#stepEvent(run, 'run', 'run', status, rec, status));
    run.published.push(status);
    await putRun(this.ctx.state, run);
  }

  #stepEvent(run: RunState, step: string, stepType: string, status: RunbookStep['status'], rec: StepRecord, key: string): CloudEvent<RunbookStep> {
    const data: RunbookStep = {
      runId: run.runId,
      runbook: run.runbook,
      step,
      stepType,
      status,
      alreadyApplied: rec.alreadyApplied ?? false,
      output: status === 'started' ? {} : (rec.output ?? {}),
      ...(rec.error ? { error: rec.error } : {}),
      at: rec.at,
    };
    return makeEvent({ id: runEventId(run.runId, step, key), type: RunbookStepEvent.type, source: this.config.source, subject: `runbook:${run.runId}`, data });
  }

  #wakeAt(runId: string, until: number): void {
    const t = setTimeout(
      () => {
        this.#timers.delete(t);
        this.#schedule(runId);
      },
      Math.max(0, Math.min(until - this.ctx.now().getTime(), 2 ** 31 - 1)) + 10,
    );
    t.unref();
    this.#timers.add(t);
  }

  /** Fault drills (keys.runbooks.crashAt): the process dies here as under a SIGKILL from outside. */
  #crashPoint(step: string, phase: 'before-effect' | 'after-effect'): void {
    const c = this.config.crashAt;
    if (c && c.step === step && c.phase === phase) process.kill(process.pid, 'SIGKILL');
  }
}
