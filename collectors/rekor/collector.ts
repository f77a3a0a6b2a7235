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
  withRetry,
} from '../../core/index.js';
import type { Component, ComponentContext } from '../../core/index.js';
import { TlogError } from '../../core/tlog/index.js';
import { type LogKey, logKeyFromPem } from '../../trust/index.js';
import { type RekorCollectorConfig, type RekorCollectorConfigInput, rekorCollectorConfigSchema } from './config.js';
import { anomalyKind } from './anomaly-kind.js';
import type { Cursor, Follower, FollowerHost } from './host.js';
import { V1Follower } from './v1-follower.js';
import { V2Follower } from './v2-follower.js';
import { LogCollector } from '../shared/log-collector/index.js';

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

export class RekorCollector extends LogCollector<Cursor> {
  readonly name: string;
  private readonly key: LogKey;
  private readonly follower: Follower;
  private readonly http: HttpClient;

  constructor(
    readonly config: RekorCollectorConfig,
    ctx: ComponentContext,
  ) {
    const publicUrl = safeUrl(config.url);
    super(ctx, {
      source: `${SOURCE}/${config.vantage}`,
      publicUrl,
      vantage: config.vantage,
      origin: config.origin ?? publicUrl,
      stateKey: `rekor:${config.vantage}:${publicUrl}:cursor`,
      pollInterval: config.pollInterval,
      checkpointHeartbeat: config.checkpointHeartbeat,
      kindOf: anomalyKind,
      metrics: {
        entries: ctx.metrics.counter('rekor_entries_verified_total', 'Rekor entries verified and published', ['log']),
        anomalies: ctx.metrics.counter('rekor_anomalies_total', 'Transparency-log anomalies seen', ['log', 'kind']),
        verified: ctx.metrics.gauge('rekor_cursor_verified', 'Next log index to publish', ['log']),
      },
      anomalyMessage: 'transparency log anomaly',
    });
    this.name = `rekor:${config.vantage}:${new URL(config.url).host}`;
    this.key = logKeyFromPem(config.publicKey);
    this.follower = config.kind === 'v1' ? new V1Follower() : new V2Follower();
    const rate = config.rateLimit;
    this.http = new HttpClient({
      // The log's base URL is public (no path token), so it names the peer in messages.
      peer: publicUrl,
      timeoutMs: config.requestTimeout,
      maxBodyBytes: config.maxBodyBytes,
      rateLimit: new TokenBucket(rate.requestsPerSecond, rate.burst),
      redirect: 'follow',
      headers: { accept: 'application/json, text/plain, */*', 'user-agent': 'chainwatch-rekor-collector' },
    });
  }

  protected round(signal: AbortSignal): Promise<void> {
    return this.follower.round(this.host(signal));
  }

  private host(signal: AbortSignal): FollowerHost {
    return {
      config: this.config,
      publicUrl: this.settings.publicUrl,
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
      checkpointVerified: (cp, note, consistentWith) => this.checkpointVerified(cp, note, consistentWith),
      checkpointUnchanged: (cp, note) => this.checkpointUnchanged(cp, note),
      // Publish first; only a resolved publish (durable) lets the cursor move (LogCollector.commit, host.ts).
      commit: (events, next) => this.commit(events, next, events.filter((e) => e.type === RekorEntryEvent.type).length),
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
}
