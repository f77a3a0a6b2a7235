import {
  type CloudEvent,
  type Component,
  type ComponentContext,
  type Counter,
  describeError,
  type Gauge,
  sleep,
  TLOG_ANOMALY_KINDS,
  type TlogAnomalyKind,
} from '../../../core/index.js';
import { checkpointObservedEvent, type LogVantage, tlogAnomalyEvent } from '../anomaly/index.js';

/** What every log collector persists as its position; each follower adds its own fields. */
export interface LogCursorBase {
  verified: number;
  head?: { origin: string };
}

export interface LogCollectorSettings {
  /** CloudEvent source of every event, e.g. "chainwatch://collectors/ct/primary". */
  source: string;
  /** The log's URL without credentials: the only form that goes into events and logs. */
  publicUrl: string;
  vantage: string;
  /** Origin until the first verified head (or the persisted one) names it. */
  origin: string;
  /** Durable-state key of the cursor. */
  stateKey: string;
  pollInterval: number;
  checkpointHeartbeat: number;
  kindOf: (err: unknown) => TlogAnomalyKind;
  metrics: { entries: Counter; anomalies: Counter; verified: Gauge };
  /** Log line of an anomaly ("CT log anomaly"). */
  anomalyMessage: string;
}

/**
 * What the Rekor and CT collectors share around their followers: start from the durable cursor,
 * poll until stopped (a failed round is reported as a tlog anomaly and the next poll starts again
 * from the cursor), checkpoint events with a heartbeat for a log that does not grow, and the commit
 * that publishes before it moves the cursor. A collector supplies the round and its events.
 */
export abstract class LogCollector<C extends LogCursorBase> implements Component {
  abstract readonly name: string;
  protected origin: string;
  protected current: C | undefined;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private lastError: string | undefined;
  /** When a checkpoint event was last published (ms); 0 = never in this run. */
  private checkpointPublishedAt = 0;

  protected constructor(
    protected readonly ctx: ComponentContext,
    protected readonly settings: LogCollectorSettings,
  ) {
    this.origin = settings.origin;
  }

  /** One polling round over the log; throws the failure that stopped it. */
  protected abstract round(signal: AbortSignal): Promise<void>;

  /** Evidence a round's failure carries into its anomaly (none unless a collector attaches some). */
  protected evidenceOf(_err: unknown): Record<string, unknown> {
    return {};
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.current = await this.ctx.state.get<C>(this.settings.stateKey);
    if (this.current?.head) this.origin = this.current.head.origin;
    // The log and the anomaly kinds are known now: their series start at zero, so /metrics lists
    // them (and alert rules on increase() work) before the first entry or anomaly.
    const m = this.settings.metrics;
    m.entries.inc({ log: this.origin }, 0);
    for (const kind of TLOG_ANOMALY_KINDS) m.anomalies.inc({ log: this.origin, kind }, 0);
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.abort?.abort(new Error('collector stopping'));
    await loop;
    this.loop = undefined;
    this.abort = undefined;
  }

  /** Everything is published synchronously with the cursor; nothing is buffered. */
  async flush(): Promise<void> {}

  health(): { ready: boolean; detail?: string } {
    return this.loop ? { ready: true, ...(this.lastError ? { detail: `last error ${this.lastError}` } : {}) } : { ready: false, detail: 'not started' };
  }

  /** The persisted cursor (for tests and `status`). */
  cursor(): C | undefined {
    return this.current;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.round(signal);
        this.lastError = undefined;
      } catch (err) {
        if (signal.aborted) break;
        this.lastError = describeError(err).code;
        await this.report(err, this.evidenceOf(err));
      }
      try {
        await sleep(this.settings.pollInterval, signal);
      } catch {
        break;
      }
    }
  }

  /** A new head, verified (and consistent with `consistentWith`): its checkpoint event, durably. */
  protected async checkpointVerified(
    head: { origin: string; size: number; rootHash: Buffer },
    note: string,
    consistentWith: number | undefined,
  ): Promise<void> {
    this.origin = head.origin;
    await this.ctx.bus.publish(checkpointObservedEvent(this.vantage(), head, note, consistentWith));
    this.checkpointPublishedAt = this.ctx.now().getTime();
  }

  /**
   * The verified head did not move. Re-published at most every checkpointHeartbeat, so detectors
   * see the log is alive (stale checks, clearing "unreachable") without a bus event per poll.
   */
  protected async checkpointUnchanged(head: { origin: string; size: number; rootHash: Buffer }, note: string): Promise<void> {
    if (this.ctx.now().getTime() - this.checkpointPublishedAt < this.settings.checkpointHeartbeat) return;
    await this.checkpointVerified(head, note, head.size);
  }

  /** Publishes `events` durably, THEN persists `next`; `entries` of them are log entries (metrics). */
  protected async commit(events: CloudEvent[], next: C, entries: number): Promise<void> {
    // Invariant, across power loss too: the cursor is never durable ahead of the records it covers.
    // Only a resolved publish (durable on the bus) lets the cursor move, and the composition root
    // gives the state store that keeps that order on disk: on the embedded bus the same SQLite
    // database as the records (one WAL: recovery keeps a prefix of commits, so this put cannot
    // survive without the publish before it); beside Kafka the records are acknowledged with
    // acks=all before this put (stores/sqlite stateStoreFor).
    if (events.length) await this.ctx.bus.publish(events);
    await this.ctx.state.put(this.settings.stateKey, next);
    this.current = next;
    this.settings.metrics.entries.inc({ log: this.origin }, entries);
    this.settings.metrics.verified.set({ log: this.origin }, next.verified);
  }

  protected anomalyEvent(err: unknown, evidence: Record<string, unknown> = {}): CloudEvent {
    return tlogAnomalyEvent(this.vantage(), err, this.settings.kindOf, evidence);
  }

  /** Publishes an anomaly; a bus failure here is logged, never thrown (the loop must go on). */
  protected async report(err: unknown, evidence?: Record<string, unknown>): Promise<void> {
    const ev = this.anomalyEvent(err, evidence);
    const data = ev.data as { kind: string; code: string };
    this.settings.metrics.anomalies.inc({ log: this.origin, kind: data.kind });
    this.ctx.logger.warn({ log: this.origin, kind: data.kind, code: data.code }, this.settings.anomalyMessage);
    try {
      await this.ctx.bus.publish(ev);
    } catch (pubErr) {
      this.ctx.logger.error({ log: this.origin, code: describeError(pubErr).code }, 'could not publish anomaly');
    }
  }

  private vantage(): LogVantage {
    const s = this.settings;
    return { source: s.source, origin: this.origin, url: s.publicUrl, vantage: s.vantage, now: this.ctx.now() };
  }
}
