import { join } from 'node:path';
import type Database from 'better-sqlite3';
import {
  type AlertSink,
  type BusRecord,
  type Component,
  type ComponentContext,
  type DeliveryRecord,
  DeliveryRecordEvent,
  type Finding,
  FindingEvent,
  makeEvent,
  type Notification,
  type Subscription,
  topicFor,
  withRetry,
  parseConfig,
  storageFault,
  untilStorageRecovers,
  watchWrite,
} from '../../core/index.js';
import { type AlertPipelineConfig, alertPipelineConfigSchema, defaultRoutes } from './config.js';
import { AlertEngine, type IngestResult } from './engine.js';
import { AlertPipelineError } from './errors.js';
import { pipelineMetrics } from './metrics.js';
import { Router } from './routing.js';
import { type OutboxRow, openAlertDb, type Statements, statements } from './store.js';
import { DeliveryWorker } from './worker.js';

/**
 * The alert pipeline (the "processor" of the OpenTelemetry split; sinks are the exporters):
 *
 *   findings topic -> handle(): route -> dedup/aggregate/throttle -> outbox rows (one SQLite txn)
 *                  -> bus commits the offset
 *   outbox (per sink) -> DeliveryWorker: withRetry(sink.deliver) -> done | dead_letters
 *   sweep timer -> aggregated updates whose window ended, held (throttled) notifications, pruning
 *
 * Nothing is queued in memory: a sink that is down only grows its outbox on disk.
 */
export class AlertPipeline implements Component {
  readonly name = 'alert-pipeline';
  private db: Database.Database | undefined;
  private st: Statements | undefined;
  private engine: AlertEngine | undefined;
  private readonly workers = new Map<string, DeliveryWorker>();
  private readonly queued = new Map<string, number>();
  private sub: Subscription | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly metrics;
  private readonly router: Router;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: AlertPipelineConfig,
    private readonly ctx: ComponentContext,
    private readonly sinks: readonly AlertSink[],
  ) {
    const names = new Set<string>();
    for (const s of sinks) {
      if (names.has(s.name)) throw new AlertPipelineError('ALERTS_DUPLICATE_SINK', `two sinks are named ${JSON.stringify(s.name)}`);
      names.add(s.name);
    }
    const routes = config.routes ?? defaultRoutes(config, [...names]);
    for (const r of routes) {
      for (const s of r.sinks) {
        if (!names.has(s))
          throw new AlertPipelineError(
            'ALERTS_UNKNOWN_SINK',
            `route ${r.name} names sink ${JSON.stringify(s)}, which is not configured (have: ${[...names].join(', ') || 'none'})`,
          );
      }
    }
    this.router = new Router(routes, config.dedupWindow);
    this.metrics = pipelineMetrics(ctx.metrics, { sinks: [...names], routes: routes.map((r) => r.name) });
  }

  get dbFile(): string {
    return join(this.ctx.dataDir, this.config.file);
  }

  async start(): Promise<void> {
    if (this.db) return;
    this.stopping = undefined;
    const db = openAlertDb(this.dbFile);
    const st = statements(db);
    this.db = db;
    this.st = st;
    const m = this.metrics;
    this.engine = new AlertEngine(
      db,
      st,
      this.router,
      {
        suppressed: (route) => m.suppressed.inc({ route }),
        throttled: (route) => m.throttled.inc({ route }),
        unrouted: () => m.unrouted.inc(),
        resolveUnmatched: (route) => m.resolveUnmatched.inc({ route }),
        enqueued: (sink) => {
          m.enqueued.inc({ sink });
          this.setQueued(sink, (this.queued.get(sink) ?? 0) + 1);
          this.workers.get(sink)?.wake();
        },
      },
      this.config.auditUrl,
    );
    const deadLetter = db.transaction((row: OutboxRow, code: string, reason: string, attempts: number) => {
      st.deadInsert.run({ ...row, attempts, code, reason: reason.slice(0, 2000), dead_at: this.nowMs() });
      st.outboxDelete.run(row.seq);
    });
    for (const sink of this.sinks) {
      const w = new DeliveryWorker(
        sink,
        st,
        this.config.delivery,
        {
          delivered: (s) => m.delivered.inc({ sink: s }),
          failed: (s, code) => m.failed.inc({ sink: s, code }),
          retried: (s) => m.retried.inc({ sink: s }),
          deadLettered: (s) => m.deadLettered.inc({ sink: s }),
          changed: (s) => this.setQueued(s, Math.max(0, (this.queued.get(s) ?? 1) - 1)),
          crashed: (err) => this.ctx.fail(new AlertPipelineError('ALERTS_STORE_FAILED', `delivery worker of ${sink.name} failed`, { cause: err })),
          record: (n, outcome) => this.recordDelivery(sink, n, outcome),
          storage: (err) => (err === undefined ? this.ctx.storage?.ok('alerts') : this.ctx.storage?.failing('alerts', this.dbFile, err)),
        },
        this.ctx.logger.child({ sink: sink.name }),
        () => this.nowMs(),
        deadLetter,
      );
      this.workers.set(sink.name, w);
      this.updateQueued(sink.name);
      w.start();
    }
    this.sweepTimer = setInterval(() => this.sweepSafely(), this.config.sweepInterval);
    this.sweepTimer.unref();
    try {
      this.sub = await this.ctx.bus.subscribe({
        group: this.config.group,
        topics: [topicFor('findings')],
        handler: (rec) => this.handle(rec),
      });
    } catch (err) {
      // Leave nothing half-started: the supervisor will call start() again after a backoff.
      await this.doStop(false);
      throw err;
    }
    this.ctx.logger.info(
      { group: this.config.group, routes: this.router.routes.map((r) => r.name), sinks: this.sinks.map((s) => s.name) },
      'alert pipeline started',
    );
  }

  /**
   * Bus handler. INVARIANT: this resolves only after the finding's dedup state and every
   * notification it produced are committed to the outbox (synchronous=FULL). The bus commits the
   * offset only after the handler resolved, so a crash at any point either redelivers the finding
   * (and `seen` makes the redelivery a no-op if our transaction had committed) or loses nothing.
   */
  private async handle(rec: BusRecord): Promise<void> {
    if (rec.event.type !== FindingEvent.type) return;
    // A full disk rolls the ingest transaction back and is reported (readiness, storage.full);
    // the bus pauses and redelivers the finding (core/bus/process-record.ts), never dead-letters it.
    watchWrite(this.ctx.storage, 'alerts', this.dbFile, () => this.ingest(rec.event.data as Finding));
  }

  /** Ingests one validated finding (used by the bus handler, tests and benches). */
  ingest(f: Finding): IngestResult {
    if (!this.engine) throw new AlertPipelineError('ALERTS_NOT_STARTED', 'alert pipeline is not started');
    const res = this.engine.ingest(f, this.nowMs());
    this.metrics.findings.inc({ status: f.status, outcome: res.duplicate ? 'duplicate' : res.routes.length ? 'routed' : 'unrouted' });
    return res;
  }

  /** Emits due aggregations and held notifications now, and wakes every worker. */
  async flush(): Promise<void> {
    this.sweepSafely();
    for (const w of this.workers.values()) w.wake();
  }

  /** Waits until every outbox is empty (or the timeout passes); for tests and orderly shutdown. */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.pendingTotal() === 0) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.pendingTotal() === 0;
  }

  pending(sink: string): number {
    return this.st ? this.st.outboxPending.get(sink)!.n : 0;
  }

  private pendingTotal(): number {
    return this.sinks.reduce((n, s) => n + this.pending(s.name), 0);
  }

  async stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /** `closeSinks` false on a failed start: the sinks are reused by the next start(). */
  private async doStop(closeSinks = true): Promise<void> {
    if (!this.db) return;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    // Order: stop consuming (in-flight handler finishes and commits), then stop deliveries, then close.
    await this.sub?.stop();
    this.sub = undefined;
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
    if (closeSinks) for (const s of this.sinks) await s.close?.().catch(() => undefined);
    this.db.close();
    this.db = undefined;
    this.st = undefined;
    this.engine = undefined;
  }

  health(): { ready: boolean; detail?: string } {
    return this.db ? { ready: true } : { ready: false, detail: 'not started' };
  }

  /** Publishes the delivery outcome for the audit trail; retried, then the worker crashes (row stays). */
  private async recordDelivery(
    sink: AlertSink,
    n: Notification,
    o: { outcome: 'delivered' | 'dead_lettered'; attempts: number; externalRef?: string; code?: string; reason?: string },
  ): Promise<void> {
    const data: DeliveryRecord = {
      notificationId: n.id,
      sink: sink.name,
      sinkKind: sink.kind,
      route: n.route,
      action: n.action,
      dedupKey: n.dedupKey,
      findingId: n.finding.findingId,
      ...o,
      ...(o.reason ? { reason: o.reason.slice(0, 2000) } : {}),
      at: new Date(this.nowMs()).toISOString(),
    };
    // The id is stable per (notification, sink, outcome): a repeated record after a crash is recognisable.
    const ev = makeEvent({
      type: DeliveryRecordEvent.type,
      source: 'urn:chainwatch:sinks',
      subject: n.finding.subject,
      id: `${n.id}:${sink.name}:${o.outcome}`,
      data,
    });
    // The bus classifies its own failures (BusError.retriable): an event it refuses is not retried.
    // A bus on a full disk is waited out: giving up would crash the worker and deliver the
    // notification a second time after the restart.
    await untilStorageRecovers(() => withRetry(() => this.ctx.bus.publish(ev), { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000 }));
  }

  private sweepSafely(): void {
    if (!this.engine || !this.st) return;
    try {
      const now = this.nowMs();
      const wrote = this.engine.sweep(now) + this.prune(now);
      for (const s of this.sinks) this.updateQueued(s.name);
      // Only a sweep that wrote proves the disk takes writes again (one with nothing to do succeeds
      // on a full disk too): then a storage fault a sweep reported ends here, not at the next finding.
      if (wrote > 0) this.ctx.storage?.ok('alerts');
    } catch (err) {
      // A full disk is not a crash: reported, and the next sweep tries again.
      if (storageFault(err) !== undefined) this.ctx.storage?.failing('alerts', this.dbFile, err);
      else this.ctx.fail(new AlertPipelineError('ALERTS_STORE_FAILED', 'alert sweep failed', { cause: err }));
    }
  }

  /** Returns the number of rows removed. */
  private prune(now: number): number {
    const st = this.st!;
    const maxWindow = Math.max(3_600_000, ...this.router.routes.map((r) => r.dedupWindowMs));
    return (
      st.seenPrune.run(now - maxWindow).changes +
      st.outboxPrune.run(now - this.config.retention).changes +
      st.statePrune.run(now - this.config.retention).changes
    );
  }

  /** Recounts from the database (start, sweep); between sweeps the gauge is kept by +1/-1. */
  private updateQueued(sink: string): void {
    this.setQueued(sink, this.pending(sink));
  }

  private setQueued(sink: string, n: number): void {
    this.queued.set(sink, n);
    this.metrics.queued.set({ sink }, n);
  }

  private nowMs(): number {
    return this.ctx.now().getTime();
  }
}

/** Builds the pipeline from raw config (throws ConfigError on bad config, AlertPipelineError on unknown sinks). */
export function createAlertPipeline(config: unknown, ctx: ComponentContext, sinks: readonly AlertSink[]): AlertPipeline {
  return new AlertPipeline(parseConfig(alertPipelineConfigSchema, config ?? {}, 'alerts'), ctx, sinks);
}
