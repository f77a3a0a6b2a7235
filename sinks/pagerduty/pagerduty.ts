import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertSink, DeliveryResult, Notification, Severity } from '../../core/index.js';
import { HttpError } from '../../core/index.js';
import { type HttpClient, parseConfig, type Secret, secretSchema } from '../../core/index.js';
import { sinkHttpClient, wireCall } from '../shared/index.js';

/** `routingKey` arrives resolved: the daemon resolves `{ env }`/`{ file }` references first. */
export const pagerDutySinkConfigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('pagerduty').default('pagerduty'),
    /** Integration (routing) key of an Events API v2 integration: a secret. */
    routingKey: secretSchema,
    baseUrl: z.url().default('https://events.pagerduty.com'),
    /** Shown as the event's client in PagerDuty. */
    client: z.string().min(1).default('chainwatch'),
    /** Finding links sent as event links (the audit link is extra). */
    maxLinks: z.number().int().min(0).max(20).default(5),
    /** Optional images (e.g. a dashboard snapshot) sent with every trigger. */
    images: z.array(z.object({ src: z.url(), href: z.url().optional(), alt: z.string().optional() }).strict()).default([]),
  })
  .strict();
export type PagerDutySinkConfig = z.input<typeof pagerDutySinkConfigSchema>;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';
/** Ours has five levels, PagerDuty four: "low" and "info" both land on info. */
export const PAGERDUTY_SEVERITY: Record<Severity, PagerDutySeverity> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

/** Events API v2 limits: summary 1024 chars, dedup_key 255 chars. */
const SUMMARY_MAX = 1024;
const DEDUP_KEY_MAX = 255;

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  client?: string;
  client_url?: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  links?: { href: string; text?: string }[];
  images?: { src: string; href?: string; alt?: string }[];
}

/**
 * PagerDuty Events API v2 (POST /v2/enqueue). PagerDuty deduplicates on dedup_key itself: a
 * repeat ("update") is another trigger with the same key and appends to the open alert; resolve
 * closes it. Our notifications have no acknowledge action, so this adapter never sends one.
 */
export class PagerDutySink implements AlertSink {
  readonly kind = 'pagerduty';
  readonly name: string;
  readonly #cfg: z.output<typeof pagerDutySinkConfigSchema>;
  readonly #routingKey: Secret;
  readonly #http: HttpClient;

  constructor(config: z.output<typeof pagerDutySinkConfigSchema>, deps: { fetch?: typeof fetch } = {}) {
    this.#cfg = config;
    this.name = this.#cfg.name;
    this.#routingKey = this.#cfg.routingKey;
    this.#http = sinkHttpClient(this.name, deps.fetch);
  }

  async deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const event = this.buildEvent(n);
    // The routing key joins only here, at the wire: the built event can be logged or inspected.
    const body = { routing_key: this.#routingKey.reveal(), ...event };
    const res = await wireCall({
      client: this.#http,
      req: { method: 'POST', url: new URL('/v2/enqueue', this.#cfg.baseUrl).toString(), headers: { accept: 'application/json' }, body },
      what: `enqueue ${event.event_action}`,
      signal,
      secrets: [this.#routingKey.reveal()],
      detail: pagerDutyDetail,
    });
    const dedupKey = res.json<{ dedup_key?: unknown }>().dedup_key;
    if (typeof dedupKey !== 'string' || dedupKey === '') {
      throw new HttpError('HTTP_BAD_RESPONSE', `sink ${this.name}: HTTP ${res.status} without dedup_key [enqueue ${event.event_action}]`, {
        status: res.status,
      });
    }
    return { externalRef: dedupKey };
  }

  /** The event without its routing_key. */
  buildEvent(n: Notification): Omit<PagerDutyEvent, 'routing_key'> {
    const dedupKey = n.externalRef ?? pagerDutyDedupKey(n.dedupKey);
    if (n.action === 'resolve') return { event_action: 'resolve', dedup_key: dedupKey };
    const f = n.finding;
    const links = [
      ...(n.auditUrl ? [{ href: n.auditUrl, text: 'Audit record' }] : []),
      ...f.links.slice(0, this.#cfg.maxLinks).map((l) => ({ href: l.url, text: l.title })),
    ];
    return {
      event_action: 'trigger',
      dedup_key: dedupKey,
      client: this.#cfg.client,
      ...(n.auditUrl ? { client_url: n.auditUrl } : {}),
      payload: {
        summary: truncate(n.occurrences > 1 ? `${f.summary} (${n.occurrences}x since ${n.firstSeen})` : f.summary, SUMMARY_MAX),
        source: f.subject,
        severity: PAGERDUTY_SEVERITY[f.severity],
        timestamp: f.observedAt,
        component: f.detector,
        group: f.tenant ?? f.category,
        class: f.rule,
        custom_details: f.evidence,
      },
      ...(links.length ? { links } : {}),
      ...(this.#cfg.images.length ? { images: this.#cfg.images } : {}),
    };
  }
}

/** Our dedupKey (<= 512) when it fits PagerDuty's 255, else a stable hash of it. */
export function pagerDutyDedupKey(dedupKey: string): string {
  if (dedupKey.length <= DEDUP_KEY_MAX) return dedupKey;
  return `chainwatch:sha256:${createHash('sha256').update(dedupKey).digest('hex')}`;
}

/** PagerDuty errors: {status, message, errors: [..]}. */
function pagerDutyDetail(text: string): string | undefined {
  try {
    const b = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(b.errors) ? b.errors.filter((e) => typeof e === 'string').join('; ') : '';
    return [typeof b.message === 'string' ? b.message : '', errors].filter(Boolean).join(': ') || undefined;
  } catch {
    return text.trim().slice(0, 200) || undefined;
  }
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export function createPagerDutySink(config: PagerDutySinkConfig, deps: { fetch?: typeof fetch } = {}): AlertSink {
  return new PagerDutySink(parseConfig(pagerDutySinkConfigSchema, config, 'sinks.alerts.receivers[]'), deps);
}
