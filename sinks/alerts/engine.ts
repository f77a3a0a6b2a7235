import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Finding, Notification, NotificationAction } from '../../core/index.js';
import type { CompiledRoute, Router } from './routing.js';
import type { StateRow, Statements } from './store.js';

/**
 * Decides WHAT to send: dedup, aggregation, throttling and resolution per (route, dedupKey), and
 * writes the resulting notifications into the outbox in the same SQLite transaction as the state
 * change. Time for windows and throttles is processing time (`nowMs`), not observedAt, so that a
 * backlog replayed after an outage is still deduplicated.
 *
 * Per (route, dedupKey), an episode runs from the first firing finding to a resolved one:
 *   first firing            -> `trigger` now (if the route's throttle allows; else held)
 *   firing within window    -> suppressed: occurrences/pending counted, nothing sent
 *   window ended, pending>0 -> `update` carrying occurrences/firstSeen/lastSeen (sweep)
 *   firing after the window -> `update` now (a new window starts)
 *   resolved                -> `resolve` now, never throttled (a held trigger's counts ride on it)
 * A held notification is emitted by the sweep as soon as the route's budget allows: excess is
 * aggregated and counted, never dropped.
 */
export interface EngineHooks {
  suppressed(route: string): void;
  throttled(route: string): void;
  unrouted(): void;
  resolveUnmatched(route: string): void;
  enqueued(sink: string): void;
}

export interface IngestResult {
  duplicate: boolean;
  routes: string[];
  enqueued: number;
}

export class AlertEngine {
  private readonly ingestTx: (f: Finding, nowMs: number) => IngestResult;
  private readonly sweepTx: (nowMs: number, limit: number) => number;

  constructor(
    db: Database.Database,
    private readonly st: Statements,
    private readonly router: Router,
    private readonly hooks: EngineHooks,
    private readonly auditUrl: string | undefined,
  ) {
    this.ingestTx = db.transaction((f: Finding, nowMs: number) => this.ingestInTx(f, nowMs));
    this.sweepTx = db.transaction((nowMs: number, limit: number) => this.sweepInTx(nowMs, limit));
  }

  /** One finding, one transaction: when this returns, its effects are durable. */
  ingest(f: Finding, nowMs: number): IngestResult {
    return this.ingestTx(f, nowMs);
  }

  /** Emits aggregated updates whose window ended and held notifications the throttle now allows. */
  sweep(nowMs: number, limit = 1000): number {
    return this.sweepTx(nowMs, limit);
  }

  private ingestInTx(f: Finding, nowMs: number): IngestResult {
    // Redelivery of an ingested finding (crash between our commit and the bus commit) is a no-op.
    if (this.st.seenGet.get(f.findingId)) return { duplicate: true, routes: [], enqueued: 0 };
    this.st.seenPut.run(f.findingId, nowMs);
    const routes = this.router.route(f);
    if (routes.length === 0) this.hooks.unrouted();
    let enqueued = 0;
    for (const r of routes) enqueued += f.status === 'resolved' ? this.resolve(r, f, nowMs) : this.fire(r, f, nowMs);
    return { duplicate: false, routes: routes.map((r) => r.name), enqueued };
  }

  private fire(r: CompiledRoute, f: Finding, nowMs: number): number {
    const prev = this.st.stateGet.get(r.name, f.dedupKey);
    const json = JSON.stringify(f);
    if (!prev || prev.open === 0) {
      const s: StateRow = {
        route: r.name,
        dedup_key: f.dedupKey,
        open: 1,
        window_seq: (prev?.window_seq ?? 0) + 1,
        window_start: nowMs,
        window_end: nowMs + r.dedupWindowMs,
        first_seen: f.observedAt,
        last_seen: f.observedAt,
        occurrences: 1,
        pending: 1,
        sent: 0,
        held: 0,
        finding: json,
        updated_at: nowMs,
      };
      return this.tryEmit(r, s, 'trigger', nowMs);
    }
    const s: StateRow = {
      ...prev,
      occurrences: prev.occurrences + 1,
      pending: prev.pending + 1,
      finding: json,
      updated_at: nowMs,
      first_seen: f.observedAt < prev.first_seen ? f.observedAt : prev.first_seen,
      last_seen: f.observedAt > prev.last_seen ? f.observedAt : prev.last_seen,
    };
    if (nowMs < prev.window_end || prev.held === 1) {
      // Within the window (or already owed and held by the throttle): count, do not send.
      this.hooks.suppressed(r.name);
      this.st.statePut.run(s);
      return 0;
    }
    s.window_seq += 1;
    s.window_start = nowMs;
    s.window_end = nowMs + r.dedupWindowMs;
    return this.tryEmit(r, s, s.sent ? 'update' : 'trigger', nowMs);
  }

  private resolve(r: CompiledRoute, f: Finding, nowMs: number): number {
    const prev = this.st.stateGet.get(r.name, f.dedupKey);
    if (!prev || prev.open === 0) {
      this.hooks.resolveUnmatched(r.name);
      return 0;
    }
    const s: StateRow = {
      ...prev,
      open: 0,
      held: 0,
      pending: 0,
      window_seq: prev.window_seq + 1,
      window_start: nowMs,
      window_end: nowMs,
      last_seen: f.observedAt > prev.last_seen ? f.observedAt : prev.last_seen,
      finding: JSON.stringify(f),
      updated_at: nowMs,
    };
    const n = this.emit(r, s, 'resolve', nowMs);
    this.st.statePut.run(s);
    return n;
  }

  private sweepInTx(nowMs: number, limit: number): number {
    let enqueued = 0;
    const byName = new Map(this.router.routes.map((r) => [r.name, r]));
    for (const s of this.st.stateHeld.all(limit)) {
      const r = byName.get(s.route);
      if (!r) continue; // route removed from config: its held state waits for a resolve or pruning
      if (!this.budget(r, nowMs, false)) continue;
      enqueued += this.tryEmit(r, { ...s, held: 0 }, s.sent ? 'update' : 'trigger', nowMs);
    }
    for (const s of this.st.stateDue.all(nowMs, limit)) {
      const r = byName.get(s.route);
      if (!r) continue;
      const next = { ...s, window_seq: s.window_seq + 1, window_start: nowMs, window_end: nowMs + r.dedupWindowMs, updated_at: nowMs };
      enqueued += this.tryEmit(r, next, s.sent ? 'update' : 'trigger', nowMs);
    }
    return enqueued;
  }

  /** Emits when the route's throttle has budget, else marks the state held; persists the state. */
  private tryEmit(r: CompiledRoute, s: StateRow, action: NotificationAction, nowMs: number): number {
    if (!this.budget(r, nowMs, true)) {
      if (s.held === 0) this.hooks.throttled(r.name);
      this.st.statePut.run({ ...s, held: 1 });
      return 0;
    }
    const n = this.emit(r, s, action, nowMs);
    this.st.statePut.run({ ...s, held: 0, pending: 0, sent: 1 });
    return n;
  }

  /** Fixed-window budget per route; `consume` takes one unit when available. */
  private budget(r: CompiledRoute, nowMs: number, consume: boolean): boolean {
    if (!r.throttle) return true;
    const cur = this.st.throttleGet.get(r.name);
    const fresh = !cur || nowMs >= cur.window_start + r.throttle.intervalMs;
    const start = fresh ? nowMs : cur.window_start;
    const count = fresh ? 0 : cur.count;
    if (count >= r.throttle.max) return false;
    if (consume) this.st.throttlePut.run(r.name, start, count + 1);
    return true;
  }

  private emit(r: CompiledRoute, s: StateRow, action: NotificationAction, nowMs: number): number {
    const finding = JSON.parse(s.finding) as Finding;
    let enqueued = 0;
    for (const sink of r.sinks) {
      const n: Notification = {
        id: notificationId(r.name, sink, s.dedup_key, action, s.window_seq, s.window_start),
        action,
        route: r.name,
        dedupKey: s.dedup_key,
        finding,
        occurrences: s.occurrences,
        firstSeen: s.first_seen,
        lastSeen: s.last_seen,
      };
      const audit = this.auditLink(finding);
      if (audit) n.auditUrl = audit;
      const res = this.st.outboxInsert.run(n.id, sink, r.name, s.dedup_key, action, JSON.stringify(n), nowMs);
      if (res.changes === 1) {
        enqueued++;
        this.hooks.enqueued(sink);
      }
    }
    return enqueued;
  }

  private auditLink(f: Finding): string | undefined {
    if (!this.auditUrl) return undefined;
    return this.auditUrl.replaceAll('{findingId}', encodeURIComponent(f.findingId)).replaceAll('{dedupKey}', encodeURIComponent(f.dedupKey));
  }
}

/** Deterministic: the same decision always yields the same id, so receivers and the outbox can dedup. */
export function notificationId(route: string, sink: string, dedupKey: string, action: string, windowSeq: number, windowStart: number): string {
  const h = createHash('sha256').update([route, sink, dedupKey, action, windowSeq, windowStart].join('\u0000')).digest('hex');
  return `cw-${h.slice(0, 32)}`;
}
