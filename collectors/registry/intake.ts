import { createHash } from 'node:crypto';
import {
  type CloudEvent,
  type ComponentContext,
  type Counter,
  describeError,
  imageSubject,
  makeEvent,
  RegistryManifestEvent,
  type RouteReply,
} from '../../core/index.js';
import { RegistryError, statusOf } from './errors.js';
import type { Parsed } from './payloads.js';

/**
 * The webhook intake: from parsed deliveries to durable manifest events, once per delivery id.
 *
 *   replay window -> seen-set lookup -> bus.publish (durable) -> seen-set put -> 202
 *
 * Invariant: a delivery id enters the seen-set only after bus.publish() resolved, so a crash
 * between the two re-publishes on the sender's retry (same event id: at-least-once), and nothing
 * answered 202 is ever missing from the bus.
 */
export const SEEN_PREFIX = 'registry:seen:';
export type Outcome = 'accepted' | 'duplicate' | 'ignored' | 'malformed' | 'too_deep' | 'invalid' | 'replayed' | 'not_ready' | 'publish_failed';

export interface IntakeWindows {
  replayWindowMs: number;
  dedupeWindowMs: number;
}

export class WebhookIntake {
  private ctx: ComponentContext | undefined;
  private outcomes: Counter | undefined;
  private events: Counter | undefined;

  constructor(readonly windows: IntakeWindows) {}

  /** The intake component hands over its context when it starts; routes answer 503 until then. */
  bind(ctx: ComponentContext): void {
    this.ctx = ctx;
    this.outcomes = ctx.metrics.counter('registry_webhook_deliveries_total', 'Registry webhook deliveries answered by the handler, by source and outcome', [
      'source',
      'outcome',
    ]);
    this.events = ctx.metrics.counter('registry_webhook_events_total', 'Events inside registry webhook deliveries, by source and what became of them', [
      'source',
      'result',
    ]);
  }

  unbind(ctx: ComponentContext): void {
    if (this.ctx === ctx) this.ctx = undefined;
  }

  get bound(): boolean {
    return this.ctx !== undefined;
  }

  now(): Date {
    return this.ctx?.now() ?? new Date();
  }

  /** Counts and answers a coded refusal (400/409/503) with the JSON error {code, message}. */
  refuse(source: string, err: unknown): RouteReply {
    if (!(err instanceof RegistryError)) {
      // Never a crash: an unexpected failure is a 500 the sender retries, counted and logged.
      this.ctx?.logger.error({ source, error: describeError(err) }, 'registry webhook failed');
      this.count(source, 'publish_failed');
      return { status: 500, body: { code: 'REGISTRY_INTERNAL', message: 'internal error' } };
    }
    this.count(source, outcomeOf(err.code));
    const reply: RouteReply = { status: statusOf(err.code), body: { code: err.code, message: err.message } };
    return err.code === 'REGISTRY_NOT_READY' || err.code === 'REGISTRY_PUBLISH_FAILED' ? { ...reply, headers: { 'retry-after': '5' } } : reply;
  }

  async accept(source: string, parsed: Parsed, receivedAt: Date): Promise<RouteReply> {
    const ctx = this.ctx;
    if (!ctx) throw new RegistryError('REGISTRY_NOT_READY', 'registry intake is not running', { retriable: true });
    for (const t of parsed.timestamps) {
      if (Math.abs(receivedAt.getTime() - t.getTime()) > this.windows.replayWindowMs)
        throw new RegistryError('REGISTRY_REPLAYED', `delivery timestamp ${t.toISOString()} is outside the replay window`);
    }
    this.events?.inc({ source, result: 'ignored' }, parsed.ignored);
    const fresh: { key: string; event: CloudEvent }[] = [];
    let duplicates = 0;
    for (const m of parsed.manifests) {
      const key = seenKey(m.source, m.deliveryId);
      const seen = await ctx.state.get<{ at: number }>(key);
      if (seen && receivedAt.getTime() - seen.at < this.windows.dedupeWindowMs) {
        duplicates++;
        continue;
      }
      const data = RegistryManifestEvent.schema.parse({ ...m, receivedAt: receivedAt.toISOString() });
      fresh.push({
        key,
        // One id per (source, delivery id): the sender's retry after a crash is the same event.
        event: makeEvent({
          type: RegistryManifestEvent.type,
          source: `chainwatch/collectors/registry/${m.source}`,
          id: `${m.source}:${m.deliveryId}`,
          subject: imageSubject(m.image),
          time: receivedAt,
          data,
        }),
      });
    }
    this.events?.inc({ source, result: 'duplicate' }, duplicates);
    if (fresh.length === 0) {
      const outcome = duplicates > 0 ? 'duplicate' : 'ignored';
      this.count(source, outcome);
      return { status: 200, body: { status: outcome, accepted: 0, duplicates, ignored: parsed.ignored } };
    }
    try {
      await ctx.bus.publish(fresh.map((f) => f.event));
    } catch (err) {
      throw new RegistryError('REGISTRY_PUBLISH_FAILED', 'the bus did not accept the events; retry later', { cause: err, retriable: true });
    }
    // Only now, with the events durable, is the delivery remembered (see the invariant above).
    for (const f of fresh) await ctx.state.put(f.key, { at: receivedAt.getTime() });
    this.events?.inc({ source, result: 'published' }, fresh.length);
    this.count(source, 'accepted');
    return { status: 202, body: { status: 'accepted', accepted: fresh.length, duplicates, ignored: parsed.ignored } };
  }

  /** Forgets delivery ids older than the dedupe window (the seen-set's TTL). */
  async sweep(): Promise<number> {
    const ctx = this.ctx;
    if (!ctx) return 0;
    const cutoff = ctx.now().getTime() - this.windows.dedupeWindowMs;
    let removed = 0;
    for (const key of await ctx.state.list(SEEN_PREFIX)) {
      const v = await ctx.state.get<{ at: number }>(key);
      if (!v || v.at < cutoff) {
        await ctx.state.delete(key);
        removed++;
      }
    }
    return removed;
  }

  private count(source: string, outcome: Outcome): void {
    this.outcomes?.inc({ source, outcome });
  }
}

function seenKey(source: string, deliveryId: string): string {
  return `${SEEN_PREFIX}${source}:${createHash('sha256').update(deliveryId).digest('hex')}`;
}

function outcomeOf(code: RegistryError['code']): Outcome {
  switch (code) {
    case 'REGISTRY_BODY_MALFORMED':
      return 'malformed';
    case 'REGISTRY_BODY_TOO_DEEP':
      return 'too_deep';
    case 'REGISTRY_PAYLOAD_INVALID':
      return 'invalid';
    case 'REGISTRY_REPLAYED':
      return 'replayed';
    case 'REGISTRY_NOT_READY':
      return 'not_ready';
    case 'REGISTRY_PUBLISH_FAILED':
      return 'publish_failed';
  }
}
