import {
  type CloudEvent,
  type Component,
  type ComponentContext,
  type Counter,
  CtEntryEvent,
  describeError,
  type Gauge,
  HttpClient,
  makeEvent,
  parseConfig,
  safeUrl,
  sleep,
  TLOG_ANOMALY_KINDS,
  TokenBucket,
  withRetry,
} from '../../core/index.js';
import { sha256Digest } from '../../core/tlog/index.js';
import { ctAnomalyKind } from './anomaly-kind.js';
import { type CtLogConfig, type CtLogConfigInput, ctLogConfigSchema } from './config.js';
import { CtError } from './errors.js';
import { type AuditedEntry, type CtBatch, type CtCursor, type CtFollower, type CtFollowerHost, evidenceOf, type TreeHeadSeen } from './follower.js';
import { type CtLogKey, loadLogKey } from './log-key.js';
import { Rfc6962Client } from './rfc6962-client.js';
import { Rfc6962Follower } from './rfc6962-follower.js';
import { StaticFollower } from './static-follower.js';
import { checkpointObservedEvent, type LogVantage, tlogAnomalyEvent } from '../shared/anomaly/index.js';

const SOURCE = 'chainwatch://collectors/ct';

export function createCtCollector(config: CtLogConfigInput | CtLogConfig, ctx: ComponentContext, opts: { stateKey?: string; end?: number } = {}): CtCollector {
  return new CtCollector(parseConfig(ctLogConfigSchema, config, 'collectors.ct.logs[]'), ctx, opts);
}

/** The durable-state key of a log's live position (backfills use their own). */
export const ctStateKey = (c: { vantage: string; url: string }): string => `ct:${c.vantage}:${safeUrl(c.url)}:cursor`;

/**
 * Follows one CT log (RFC 6962 or Static CT API) as a full auditor and publishes every audited
 * entry as dev.chainwatch.ct.entry.v1, tree heads as tlog checkpoint events and every failure as
 * a tlog anomaly (detectors/log-integrity turns those into security vs infrastructure findings).
 * Failures never stop the loop: the next poll starts again from the durable cursor (follower.ts).
 */
export class CtCollector implements Component {
  readonly name: string;
  readonly key: CtLogKey;
  private readonly follower: CtFollower;
  private readonly http: HttpClient;
  private readonly stateKey: string;
  private readonly publicUrl: string;
  private origin: string;
  private current: CtCursor | undefined;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private checkpointPublishedAt = 0;
  private readonly m: { entries: Counter; anomalies: Counter; verified: Gauge };

  constructor(
    readonly config: CtLogConfig,
    private readonly ctx: ComponentContext,
    opts: { stateKey?: string; end?: number } = {},
  ) {
    this.key = loadLogKey(config.key);
    this.publicUrl = safeUrl(config.url);
    this.name = `ct:${config.vantage}:${this.publicUrl}`;
    this.origin = config.origin ?? this.publicUrl;
    this.stateKey = opts.stateKey ?? ctStateKey(config);
    const rate = config.rateLimit;
    this.http = new HttpClient({
      peer: this.publicUrl,
      timeoutMs: config.requestTimeout,
      maxBodyBytes: config.maxBodyBytes,
      rateLimit: new TokenBucket(rate.requestsPerSecond, rate.burst),
      redirect: 'follow',
      headers: { accept: 'application/json, text/plain, */*', 'user-agent': 'chainwatch-ct-collector' },
    });
    this.follower =
      config.api === 'rfc6962'
        ? new Rfc6962Follower(new Rfc6962Client(config.url, this.http), this.key, {
            origin: this.origin,
            batchSize: config.batchSize,
            concurrency: config.concurrency,
            start: config.start,
            ...(opts.end !== undefined ? { end: opts.end } : {}),
          })
        : new StaticFollower(config.url, async (url, signal) => (await this.http.request({ url, signal })).body, this.key, {
            ...(config.origin ? { origin: config.origin } : {}),
            batchSize: config.batchSize,
            start: config.start,
          });
    this.m = {
      entries: ctx.metrics.counter('ct_entries_audited_total', 'CT entries audited and published', ['log']),
      anomalies: ctx.metrics.counter('ct_anomalies_total', 'CT log anomalies seen', ['log', 'kind']),
      verified: ctx.metrics.gauge('ct_cursor_verified', 'Next CT log index to publish', ['log']),
    };
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.current = await this.ctx.state.get<CtCursor>(this.stateKey);
    if (this.current?.head) this.origin = this.current.head.origin;
    this.m.entries.inc({ log: this.origin }, 0);
    for (const kind of TLOG_ANOMALY_KINDS) this.m.anomalies.inc({ log: this.origin, kind }, 0);
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
  }

  async stop(): Promise<void> {
    if (!this.loop) return;
    this.abort?.abort(new Error('collector stopping'));
    await this.loop;
    this.loop = undefined;
  }

  async flush(): Promise<void> {}

  health(): { ready: boolean; detail?: string } {
    return this.loop ? { ready: true } : { ready: false, detail: 'not started' };
  }

  cursor(): CtCursor | undefined {
    return this.current;
  }

  /** One round (tests, backfill): throws the failure that stopped it, after reporting it. */
  async roundOnce(signal: AbortSignal = new AbortController().signal): Promise<void> {
    if (this.current === undefined) this.current = await this.ctx.state.get<CtCursor>(this.stateKey);
    try {
      await this.follower.round(this.host(signal));
    } catch (err) {
      await this.report(err, evidenceOf(err));
      throw err;
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    const host = this.host(signal);
    while (!signal.aborted) {
      try {
        await this.follower.round(host);
      } catch (err) {
        if (signal.aborted) break;
        await this.report(err, evidenceOf(err));
      }
      try {
        await sleep(this.config.pollInterval, signal);
      } catch {
        break;
      }
    }
  }

  private host(signal: AbortSignal): CtFollowerHost {
    return {
      signal,
      cursor: () => this.current,
      retry: (what, fn) =>
        withRetry(
          (_attempt, s) => fn(s ?? signal),
          {
            maxAttempts: 5,
            baseDelayMs: 200,
            maxDelayMs: 30_000,
            // Retry-After of a 429 (HttpError.retryAfterMs) sets the delay: see core/retry backoffDelay.
            onRetry: (err, attempt, delayMs) => void this.report(err, { what, attempt, delayMs }),
          },
          signal,
        ),
      headVerified: async (head, consistentWith) => {
        this.origin = head.origin;
        await this.ctx.bus.publish(this.checkpointEvent(head, consistentWith));
        this.checkpointPublishedAt = this.ctx.now().getTime();
      },
      headUnchanged: async (head) => {
        if (this.ctx.now().getTime() - this.checkpointPublishedAt < this.config.checkpointHeartbeat) return;
        await this.ctx.bus.publish(this.checkpointEvent(head, head.size));
        this.checkpointPublishedAt = this.ctx.now().getTime();
      },
      commit: async (batch, next) => {
        const events = this.batchEvents(batch);
        // Publish first; only a resolved publish (durable on the bus) lets the cursor move. The
        // composition root's state store shares the embedded bus's SQLite WAL (or follows Kafka's
        // acks=all), so across power loss too the cursor is never durable ahead of its records.
        if (events.length) await this.ctx.bus.publish(events);
        await this.ctx.state.put(this.stateKey, next);
        this.current = next;
        this.m.entries.inc({ log: this.origin }, batch.entries.filter((e) => e.entry).length);
        this.m.verified.set({ log: this.origin }, next.verified);
      },
    };
  }

  private batchEvents(batch: CtBatch): CloudEvent[] {
    return batch.entries.map((e) =>
      e.entry
        ? this.entryEvent(batch.head, e)
        : this.anomalyEvent(e.error ?? new CtError('CT_ENTRY_MALFORMED', 'entry does not parse'), { index: e.index, leafHash: e.leafHash.toString('hex') }),
    );
  }

  private entryEvent(head: TreeHeadSeen, a: AuditedEntry): CloudEvent {
    const e = a.entry!;
    const certSha256 = sha256Digest(e.certDer).toString('hex');
    return makeEvent({
      type: CtEntryEvent.type,
      source: `${SOURCE}/${this.config.vantage}`,
      // One id per (log, index): a redelivery after a crash is the same event (at-least-once).
      id: `${this.key.logId.toString('base64')}#${a.index}`,
      subject: `sha256:${certSha256}`,
      time: this.ctx.now(),
      data: {
        log: {
          logId: this.key.logId.toString('base64'),
          url: this.publicUrl,
          api: this.config.api,
          ...(this.config.description ? { description: this.config.description } : {}),
          ...(this.config.operator ? { operator: this.config.operator } : {}),
        },
        index: a.index,
        leafHash: a.leafHash.toString('hex'),
        timestamp: new Date(e.leaf.timestamp).toISOString(),
        entryType: e.leaf.entryType,
        certDer: e.certDer.toString('base64'),
        certSha256,
        ...(e.leaf.entryType === 'precert'
          ? { precertTbsDer: e.leaf.signedBytes.toString('base64'), issuerKeyHash: e.leaf.issuerKeyHash!.toString('hex') }
          : {}),
        chainDer: e.chain.slice(0, 16).map((c) => c.toString('base64')),
        verification: { audited: true as const, treeHead: { size: head.size, rootHash: head.rootHash.toString('base64') } },
      },
    });
  }

  private checkpointEvent(head: TreeHeadSeen, consistentWith: number | undefined): CloudEvent {
    return checkpointObservedEvent(this.vantage(), head, head.raw, consistentWith);
  }

  private anomalyEvent(err: unknown, evidence: Record<string, unknown> = {}): CloudEvent {
    return tlogAnomalyEvent(this.vantage(), err, ctAnomalyKind, evidence);
  }

  private vantage(): LogVantage {
    return { source: `${SOURCE}/${this.config.vantage}`, origin: this.origin, url: this.publicUrl, vantage: this.config.vantage, now: this.ctx.now() };
  }

  /** Publishes an anomaly; a bus failure here is logged, never thrown (the loop must go on). */
  private async report(err: unknown, evidence?: Record<string, unknown>): Promise<void> {
    const ev = this.anomalyEvent(err, evidence);
    const data = ev.data as { kind: string; code: string };
    this.m.anomalies.inc({ log: this.origin, kind: data.kind });
    this.ctx.logger.warn({ log: this.origin, kind: data.kind, code: data.code }, 'CT log anomaly');
    try {
      await this.ctx.bus.publish(ev);
    } catch (pubErr) {
      this.ctx.logger.error({ log: this.origin, code: describeError(pubErr).code }, 'could not publish anomaly');
    }
  }
}
