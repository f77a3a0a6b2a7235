import { type CloudEvent, type ComponentContext, CtEntryEvent, HttpClient, makeEvent, parseConfig, safeUrl, TokenBucket, withRetry } from '../../core/index.js';
import { sha256Digest } from '../../core/tlog/index.js';
import { ctAnomalyKind } from './anomaly-kind.js';
import { type CtLogConfig, type CtLogConfigInput, ctLogConfigSchema } from './config.js';
import { CtError } from './errors.js';
import { type AuditedEntry, type CtBatch, type CtCursor, type CtFollower, type CtFollowerHost, evidenceOf, type TreeHeadSeen } from './follower.js';
import { type CtLogKey, loadLogKey } from './log-key.js';
import { Rfc6962Client } from './rfc6962-client.js';
import { Rfc6962Follower } from './rfc6962-follower.js';
import { StaticFollower } from './static-follower.js';
import { LogCollector } from '../shared/log-collector/index.js';

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
export class CtCollector extends LogCollector<CtCursor> {
  readonly name: string;
  readonly key: CtLogKey;
  private readonly follower: CtFollower;
  private readonly http: HttpClient;
  /** Per entry in every event: encoded once. */
  private readonly logId: string;

  constructor(
    readonly config: CtLogConfig,
    ctx: ComponentContext,
    private readonly opts: { stateKey?: string; end?: number } = {},
  ) {
    const publicUrl = safeUrl(config.url);
    super(ctx, {
      source: `${SOURCE}/${config.vantage}`,
      publicUrl,
      vantage: config.vantage,
      origin: config.origin ?? publicUrl,
      stateKey: opts.stateKey ?? ctStateKey(config),
      pollInterval: config.pollInterval,
      checkpointHeartbeat: config.checkpointHeartbeat,
      kindOf: ctAnomalyKind,
      metrics: {
        entries: ctx.metrics.counter('ct_entries_audited_total', 'CT entries audited and published', ['log']),
        anomalies: ctx.metrics.counter('ct_anomalies_total', 'CT log anomalies seen', ['log', 'kind']),
        verified: ctx.metrics.gauge('ct_cursor_verified', 'Next CT log index to publish', ['log']),
      },
      anomalyMessage: 'CT log anomaly',
    });
    this.key = loadLogKey(config.key);
    this.logId = this.key.logId.toString('base64');
    this.name = `ct:${config.vantage}:${publicUrl}`;
    const rate = config.rateLimit;
    this.http = new HttpClient({
      peer: publicUrl,
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
  }

  /** One round (tests, backfill): throws the failure that stopped it, after reporting it. */
  async roundOnce(signal: AbortSignal = new AbortController().signal): Promise<void> {
    if (this.current === undefined) this.current = await this.ctx.state.get<CtCursor>(this.settings.stateKey);
    try {
      await this.round(signal);
    } catch (err) {
      await this.report(err, evidenceOf(err));
      throw err;
    }
  }

  protected round(signal: AbortSignal): Promise<void> {
    return this.follower.round(this.host(signal));
  }

  /** A fork or rewind carries both tree heads (follower.ts withEvidence). */
  protected override evidenceOf(err: unknown): Record<string, unknown> {
    return evidenceOf(err);
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
      headVerified: (head, consistentWith) => this.checkpointVerified(head, head.raw, consistentWith),
      headUnchanged: (head) => this.checkpointUnchanged(head, head.raw),
      commit: (batch, next) => {
        // A bounded scan (backfill --to) publishes nothing at or past its end: a static log's whole
        // tiles may run past it. Its own cursor still moves over them (it is only that scan's).
        const end = this.opts.end;
        const inRange = end === undefined ? batch : { ...batch, entries: batch.entries.filter((e) => e.index < end) };
        return this.commit(this.batchEvents(inRange), next, inRange.entries.filter((e) => e.entry).length);
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
      id: `${this.logId}#${a.index}`,
      subject: `sha256:${certSha256}`,
      time: this.ctx.now(),
      data: {
        log: {
          logId: this.logId,
          url: this.settings.publicUrl,
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
}
