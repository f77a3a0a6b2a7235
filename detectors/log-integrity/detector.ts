import {
  type CheckpointObserved,
  CheckpointObservedEvent,
  type CloudEvent,
  type Component,
  type ComponentContext,
  type Finding,
  type Subscription,
  type TlogAnomaly,
  TlogAnomalyEvent,
  topicFor,
  parseConfig,
} from '../../core/index.js';
import { findingsCounter } from '../shared/index.js';
import { type LogIntegrityConfig, type LogIntegrityConfigInput, logIntegrityConfigSchema } from './config.js';
import { anomalyFinding, infraResolvedFinding, splitViewFinding, staleFinding, unverifiedCheckpointFinding } from './findings.js';
import { type OriginRecord, OriginStore } from './origin-state.js';
import { isInfrastructure, ruleForAnomaly } from './rules.js';

/**
 * Turns what the tlog collectors observed (checkpoints from several vantage points, anomalies)
 * into findings: log misbehaviour (security), trouble reaching the log (infrastructure, resolved
 * when the vantage serves a verified checkpoint again), split views across vantages, and logs
 * that stopped moving (a timer).
 *
 * Ordering rule for every handler: publish the findings FIRST, save state AFTER. A crash in
 * between redelivers the event, and the deterministic finding ids make the repeat harmless;
 * the other order could lose a finding. Handlers and the timer run one at a time (`serial`).
 */
export class LogIntegrityDetector implements Component {
  readonly name = 'detector.log-integrity';
  private readonly store: OriginStore;
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private running = false;
  private readonly counted: (events: readonly Out[]) => void;

  constructor(
    readonly config: LogIntegrityConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.store = new OriginStore(ctx.state, config.stateKeyPrefix, config.splitView.maxSizesPerOrigin);
    this.counted = findingsCounter(ctx.metrics);
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.store.loadAll();
    this.sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('tlog')],
      fromBeginning: true,
      handler: (rec) => this.serial(() => this.handle(rec.event)),
    });
    if (this.config.stale.checkInterval > 0) {
      this.timer = setInterval(() => {
        this.tick().catch((err: unknown) => this.ctx.fail(err));
      }, this.config.stale.checkInterval);
      this.timer.unref();
    }
    this.running = true;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const sub = this.sub;
    this.sub = undefined;
    this.running = false;
    await sub?.stop();
    await this.chain.catch(() => undefined);
  }

  async flush(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  health(): { ready: boolean; detail?: string } {
    return { ready: this.running, detail: `${this.store.all().length} origin(s) tracked` };
  }

  /** One pass of the stale check; the timer calls it, tests call it with a fake clock. */
  tick(): Promise<void> {
    return this.serial(() => this.checkStale());
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.catch(() => undefined).then(fn);
    this.chain = next;
    return next;
  }

  private async handle(ev: CloudEvent): Promise<void> {
    switch (ev.type) {
      case CheckpointObservedEvent.type:
        return this.guarded(ev.data as CheckpointObserved, () => this.onCheckpoint(ev, ev.data as CheckpointObserved));
      case TlogAnomalyEvent.type:
        return this.guarded(ev.data as TlogAnomaly, () => this.onAnomaly(ev, ev.data as TlogAnomaly));
      default:
        return; // other tlog types (future) are not ours to judge
    }
  }

  /**
   * On failure the in-memory copy may be ahead of the store: reload it from the store, so the
   * retry starts clean and the stale timer keeps seeing the origin (a dying log may send nothing
   * more, which is exactly when the timer matters).
   */
  private async guarded(about: { origin: string; url: string }, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.store.evict(about.origin);
      await this.store.get(about.origin, about.url).catch(() => undefined);
      throw err;
    }
  }

  // ---- anomalies -------------------------------------------------------------------------------

  private async onAnomaly(ev: CloudEvent, a: TlogAnomaly): Promise<void> {
    const spec = ruleForAnomaly(a.kind);
    const finding = anomalyFinding(this.config, spec, ev, a);
    await this.publish([finding]);
    if (isInfrastructure(a.kind)) await this.rememberOpenCondition(a, finding.data!.dedupKey);
  }

  /** Infrastructure conditions stay open until the same vantage serves a verified checkpoint. */
  private async rememberOpenCondition(a: TlogAnomaly, key: string): Promise<void> {
    const rec = await this.store.get(a.origin, a.url);
    rec.openInfra[a.vantage] = { ...rec.openInfra[a.vantage], [a.kind]: key };
    await this.store.save(rec);
  }

  // ---- checkpoints -----------------------------------------------------------------------------

  private async onCheckpoint(ev: CloudEvent, cp: CheckpointObserved): Promise<void> {
    // An unverified tree head proves nothing: it is reported, but neither recorded as a view
    // nor counted as the log being alive.
    if (!cp.signatureVerified) return this.publish([unverifiedCheckpointFinding(this.config, ev, cp)]);
    const rec = await this.store.get(cp.origin, cp.url);
    // Trouble reported for the same log URL under another origin (a collector names a log by its
    // URL until its first verified checkpoint tells the real origin) is cleared by this vantage too.
    const aliases = this.store.all().filter((r) => r !== rec && r.url === cp.url && r.openInfra[cp.vantage] !== undefined);
    const out = [
      ...this.checkSplitView(rec, ev, cp),
      ...this.resolveInfrastructure(rec, ev, cp),
      ...aliases.flatMap((r) => this.resolveInfrastructure(r, ev, cp)),
      ...this.refreshFreshness(rec, ev, cp),
    ];
    try {
      await this.publish(out);
    } catch (err) {
      // As in guarded(): drop the in-memory changes so the redelivered event resolves again.
      for (const r of aliases) {
        this.store.evict(r.origin);
        await this.store.get(r.origin, r.url).catch(() => undefined);
      }
      throw err;
    }
    await this.store.save(rec);
    for (const r of aliases) await this.store.save(r);
  }

  /** Step 1: does another (or the same) vantage hold a different root for this size? */
  private checkSplitView(rec: OriginRecord, ev: CloudEvent, cp: CheckpointObserved): Out[] {
    if (cp.consistentWith !== undefined) rec.views.noteConsistency(cp.consistentWith, cp.treeSize, cp.vantage);
    const seen = rec.views.check(cp.treeSize, cp.rootHash);
    switch (seen.kind) {
      case 'new':
        rec.views.record(cp.treeSize, { root: cp.rootHash, vantage: cp.vantage, observedAt: cp.observedAt, eventId: ev.id });
        return [];
      case 'agrees':
        return [];
      case 'conflict':
        // The conflicting root is not stored (first root wins), so a redelivered event conflicts
        // again and yields the same finding id: one alert, not two.
        return [splitViewFinding(this.config, ev, cp, seen.prior)];
      default: {
        const never: never = seen;
        throw new Error(`unhandled view check ${JSON.stringify(never)}`);
      }
    }
  }

  /** Step 2: a verified checkpoint from a vantage clears that vantage's infrastructure trouble. */
  private resolveInfrastructure(rec: OriginRecord, ev: CloudEvent, cp: CheckpointObserved): Out[] {
    const open = rec.openInfra[cp.vantage];
    if (!open) return [];
    delete rec.openInfra[cp.vantage];
    return Object.entries(open).map(([kind, key]) => infraResolvedFinding(this.config, ruleForAnomaly(kind as TlogAnomaly['kind']), key, ev, cp));
  }

  /** Step 3: the log moved; a stale finding for it resolves once its reference time advanced. */
  private refreshFreshness(rec: OriginRecord, ev: CloudEvent, cp: CheckpointObserved): Out[] {
    const f = (rec.freshness ??= { lastVerifiedAt: cp.observedAt, lastGrowthAt: cp.observedAt, lastSize: cp.treeSize, staleSince: null });
    if (Date.parse(cp.observedAt) > Date.parse(f.lastVerifiedAt)) f.lastVerifiedAt = cp.observedAt;
    if (cp.treeSize > f.lastSize) {
      f.lastSize = cp.treeSize;
      if (Date.parse(cp.observedAt) > Date.parse(f.lastGrowthAt)) f.lastGrowthAt = cp.observedAt;
    }
    const since = f.staleSince;
    if (since === null || Date.parse(this.reference(rec)) <= Date.parse(since)) return [];
    f.staleSince = null;
    return [staleFinding(this.config, this.staleFacts(rec), 'resolved', since, this.ctx.now(), [ev.id])];
  }

  // ---- staleness (timer) -----------------------------------------------------------------------

  private async checkStale(): Promise<void> {
    const now = this.ctx.now();
    for (const rec of this.store.all()) {
      const f = rec.freshness;
      if (!f || f.staleSince !== null) continue;
      const ref = this.reference(rec);
      if (now.getTime() - Date.parse(ref) < this.staleAfter(rec.origin)) continue;
      await this.publish([staleFinding(this.config, this.staleFacts(rec), 'firing', ref, now)]);
      f.staleSince = ref;
      await this.store.save(rec);
    }
  }

  private reference(rec: OriginRecord): string {
    const f = rec.freshness!;
    return this.config.stale.mode === 'growth' ? f.lastGrowthAt : f.lastVerifiedAt;
  }

  private staleAfter(origin: string): number {
    return this.config.stale.perOrigin[origin] ?? this.config.stale.after;
  }

  private staleFacts(rec: OriginRecord) {
    const f = rec.freshness!;
    return {
      origin: rec.origin,
      url: rec.url,
      mode: this.config.stale.mode,
      lastSize: f.lastSize,
      lastVerifiedAt: f.lastVerifiedAt,
      lastGrowthAt: f.lastGrowthAt,
      afterMs: this.staleAfter(rec.origin),
    };
  }

  private async publish(out: Out[]): Promise<void> {
    if (out.length === 0) return;
    await this.ctx.bus.publish(out);
    this.counted(out);
  }
}

type Out = CloudEvent<Finding>;

/** Factory the daemon calls; `config` is the raw section (validated here, defaults applied). */
export function createLogIntegrityDetector(config: LogIntegrityConfigInput, ctx: ComponentContext): LogIntegrityDetector {
  return new LogIntegrityDetector(parseConfig(logIntegrityConfigSchema, config ?? {}, 'detectors.logIntegrity'), ctx);
}
