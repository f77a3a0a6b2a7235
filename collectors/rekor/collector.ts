import {
  HttpClient,
  safeUrl,
  TokenBucket,
  ConfigError,
  describeError,
  parseConfig,
  type CloudEvent,
  makeEvent,
  type RekorEntry,
  RekorEntryEvent,
  TLOG_ANOMALY_KINDS,
  sleep,
  withRetry,
} from '../../core/index.js';
import type { Component, ComponentContext, Counter, Gauge } from '../../core/index.js';
import { type Checkpoint, TlogError } from '../../core/tlog/index.js';
import { type LogKey, logKeyFromPem } from '../../trust/index.js';
import { type RekorCollectorConfig, type RekorCollectorConfigInput, rekorCollectorConfigSchema } from './config.js';
import { anomalyKind } from './anomaly-kind.js';
import type { Cursor, Follower, FollowerHost } from './host.js';
import { V1Follower } from './v1-follower.js';
import { V2Follower } from './v2-follower.js';
import { checkpointObservedEvent, type LogVantage, tlogAnomalyEvent } from '../shared/anomaly/index.js';

/**
 * Follows one transparency log (Rekor v1 REST or a C2SP tile log) and publishes what it verified.
 *
 *   poll checkpoint => verify signature => prove consistency with the verified head
 *     => batches of [verified, size) => N fetch workers (token bucket, withRetry)
 *     => verify each entry in log order (inclusion against a verified head, SET, identity)
 *     => publish the batch (bus.publish resolved = durable) => 1 cursor save
 *
 * Every failure becomes a `dev.chainwatch.tlog.anomaly.v1` event and the loop goes on at the next
 * poll; nothing from an unverified tree head is ever published as verified. See host.ts for the
 * cursor invariant.
 */
export function createRekorCollector(config: RekorCollectorConfigInput | RekorCollectorConfig, ctx: ComponentContext): Component {
  return rekorCollectorFrom(parseConfig(rekorCollectorConfigSchema, config, 'collectors.rekor[]'), ctx);
}

/** The collector from an already parsed entry (the daemon parses the section once). */
export function rekorCollectorFrom(parsed: RekorCollectorConfig, ctx: ComponentContext): Component {
  try {
    return new RekorCollector(parsed, ctx);
  } catch (err) {
    if (err instanceof TlogError && (err.code === 'KEY_MALFORMED' || err.code === 'KEY_UNSUPPORTED')) {
      throw new ConfigError(
        'CONFIG_INVALID',
        'rekor collector config invalid: publicKey is not a usable PEM key',
        [{ path: 'collectors.rekor[].publicKey', message: err.code === 'KEY_MALFORMED' ? 'not a PEM SPKI key' : 'not a transparency-log key type' }],
        err,
      );
    }
    throw err;
  }
}

const SOURCE = 'chainwatch://collectors/rekor';

export class RekorCollector implements Component {
  readonly name: string;
  private readonly key: LogKey;
  private readonly follower: Follower;
  private readonly http: HttpClient;
  private readonly stateKey: string;
  private readonly publicUrl: string;
  private origin: string;
  private current: Cursor | undefined;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private lastError: string | undefined;
  /** When a checkpoint event was last published (ms); 0 = never in this run. */
  private checkpointPublishedAt = 0;
  private readonly m: { entries: Counter; anomalies: Counter; verified: Gauge };

  constructor(
    readonly config: RekorCollectorConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.name = `rekor:${config.vantage}:${new URL(config.url).host}`;
    this.key = logKeyFromPem(config.publicKey);
    this.follower = config.kind === 'v1' ? new V1Follower() : new V2Follower();
    const rate = config.rateLimit;
    this.http = new HttpClient({
      // The log's base URL is public (no path token), so it names the peer in messages.
      peer: safeUrl(config.url),
      timeoutMs: config.requestTimeout,
      maxBodyBytes: config.maxBodyBytes,
      rateLimit: new TokenBucket(rate.requestsPerSecond, rate.burst),
      redirect: 'follow',
      headers: { accept: 'application/json, text/plain, */*', 'user-agent': 'chainwatch-rekor-collector' },
    });
    this.stateKey = `rekor:${config.vantage}:${safeUrl(config.url)}:cursor`;
    this.publicUrl = safeUrl(config.url);
    this.origin = config.origin ?? this.publicUrl;
    this.m = {
      entries: ctx.metrics.counter('rekor_entries_verified_total', 'Rekor entries verified and published', ['log']),
      anomalies: ctx.metrics.counter('rekor_anomalies_total', 'Transparency-log anomalies seen', ['log', 'kind']),
      verified: ctx.metrics.gauge('rekor_cursor_verified', 'Next log index to publish', ['log']),
    };
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.current = await this.ctx.state.get<Cursor>(this.stateKey);
    if (this.current?.head) this.origin = this.current.head.origin;
    // The log and the anomaly kinds are known now: their series start at zero, so /metrics lists
    // them (and alert rules on increase() work) before the first entry or anomaly.
    this.m.entries.inc({ log: this.origin }, 0);
    for (const kind of TLOG_ANOMALY_KINDS) this.m.anomalies.inc({ log: this.origin, kind }, 0);
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
  cursor(): Cursor | undefined {
    return this.current;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const host = this.host(signal);
    while (!signal.aborted) {
      try {
        await this.follower.round(host);
        this.lastError = undefined;
      } catch (err) {
        if (signal.aborted) break;
        this.lastError = describeError(err).code;
        await this.report(err);
      }
      try {
        await sleep(this.config.pollInterval, signal);
      } catch {
        break;
      }
    }
  }

  private host(signal: AbortSignal): FollowerHost {
    return {
      config: this.config,
      publicUrl: this.publicUrl,
      key: this.key,
      http: this.http,
      signal,
      cursor: () => this.current,
      retry: (what, fn) =>
        withRetry(
          (_attempt, s) => fn(s ?? signal),
          {
            maxAttempts: 4,
            baseDelayMs: 200,
            maxDelayMs: 10_000,
            onRetry: (err, attempt, delayMs) => {
              this.ctx.logger.warn({ log: this.origin, what, attempt, delayMs, code: describeError(err).code }, 'rekor request failed; retrying');
              void this.report(err, { what, attempt, delayMs });
            },
          },
          signal,
        ),
      checkpointVerified: async (cp, note, consistentWith) => {
        this.origin = cp.origin;
        await this.ctx.bus.publish(this.checkpointEvent(cp, note, consistentWith));
        this.checkpointPublishedAt = this.ctx.now().getTime();
      },
      checkpointUnchanged: async (cp, note) => {
        if (this.ctx.now().getTime() - this.checkpointPublishedAt < this.config.checkpointHeartbeat) return;
        this.origin = cp.origin;
        await this.ctx.bus.publish(this.checkpointEvent(cp, note, cp.size));
        this.checkpointPublishedAt = this.ctx.now().getTime();
      },
      commit: async (events, next) => {
        // Publish first; only a resolved publish (durable) lets the cursor move (see host.ts).
        // Invariant, across power loss too: the cursor is never durable ahead of the records it
        // covers. The composition root gives the state store that makes the order hold on disk:
        // on the embedded bus the same SQLite database as the records (one WAL: recovery keeps a
        // prefix of commits, so this put cannot survive without the publish before it); beside
        // Kafka the records are acknowledged with acks=all before this put (stores/sqlite stateStoreFor).
        if (events.length) await this.ctx.bus.publish(events);
        await this.ctx.state.put(this.stateKey, next);
        this.current = next;
        this.m.entries.inc({ log: this.origin }, events.filter((e) => e.type === RekorEntryEvent.type).length);
        this.m.verified.set({ log: this.origin }, next.verified);
      },
      anomaly: (err, evidence) => this.report(err, evidence),
      entryEvent: (data) => this.entryEvent(data),
      anomalyEvent: (err, evidence) => this.anomalyEvent(err, evidence),
      setOrigin: (o) => {
        this.origin = o;
      },
    };
  }

  private entryEvent(data: RekorEntry): CloudEvent {
    const d = data.artifact.digests[0];
    return makeEvent({
      type: RekorEntryEvent.type,
      source: `${SOURCE}/${this.config.vantage}`,
      id: `${data.log.origin}#${data.logIndex}`,
      subject: d ? `${d.algorithm}:${d.value}` : data.uuid,
      time: this.ctx.now(),
      data,
    });
  }

  private checkpointEvent(cp: Checkpoint, note: string, consistentWith: number | undefined): CloudEvent {
    return checkpointObservedEvent(this.vantage(), cp, note, consistentWith);
  }

  private anomalyEvent(err: unknown, evidence: Record<string, unknown> = {}): CloudEvent {
    return tlogAnomalyEvent(this.vantage(), err, anomalyKind, evidence);
  }

  private vantage(): LogVantage {
    return { source: `${SOURCE}/${this.config.vantage}`, origin: this.origin, url: this.publicUrl, vantage: this.config.vantage, now: this.ctx.now() };
  }

  /** Publishes an anomaly; a bus failure here is logged, never thrown (the loop must go on). */
  private async report(err: unknown, evidence?: Record<string, unknown>): Promise<void> {
    const ev = this.anomalyEvent(err, evidence);
    const data = ev.data as { kind: string; code: string };
    this.m.anomalies.inc({ log: this.origin, kind: data.kind });
    this.ctx.logger.warn({ log: this.origin, kind: data.kind, code: data.code }, 'transparency log anomaly');
    try {
      await this.ctx.bus.publish(ev);
    } catch (pubErr) {
      this.ctx.logger.error({ log: this.origin, code: describeError(pubErr).code }, 'could not publish anomaly');
    }
  }
}
