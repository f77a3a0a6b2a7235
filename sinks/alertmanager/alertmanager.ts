import { z } from 'zod';
import type { AlertSink, DeliveryResult, Notification } from '../../core/index.js';
import { durationSchema, type HttpClient, parseConfig, secretSchema } from '../../core/index.js';
import { evidenceText, occurrenceLine, sinkHttpClient } from '../shared/index.js';

/**
 * Prometheus Alertmanager, API v2: `POST /api/v2/alerts` with a one-alert array.
 *
 * Alertmanager identifies an alert by its label set, so the labels must be identical for the
 * trigger, its updates and its resolve. We keep only stable fields in labels, and remember the
 * label set sent with the trigger as the externalRef (JSON) so a resolve reuses it even if the
 * resolved finding's severity or labels changed. Posting the same alert twice is a no-op there,
 * which makes outbox redelivery harmless.
 *
 * Alertmanager expires an alert without endsAt after its resolve_timeout (5m by default); chainwatch
 * sends once per dedup window, so firing alerts carry endsAt = now + `ttl` and are re-asserted by
 * each update; a resolve sets endsAt = now.
 */
export const alertmanagerSinkConfigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('alertmanager').default('alertmanager'),
    /** Base URL, e.g. http://alertmanager:9093 (no /api/v2 suffix). */
    url: z.string().url(),
    /** How long a firing alert stays active without an update. */
    ttl: durationSchema.prefault('1d'),
    /** Fallback generatorURL when a notification has no audit link (e.g. the chainwatch UI). */
    generatorUrl: z.string().url().optional(),
    /** Sent as `Authorization: Bearer <token>`. */
    token: secretSchema.optional(),
    basicAuth: z
      .object({ username: z.string().min(1), password: secretSchema })
      .strict()
      .optional(),
    /** Static labels added to every alert (e.g. {cluster: "prod"}). */
    labels: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type AlertmanagerSinkConfig = z.output<typeof alertmanagerSinkConfigSchema>;

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
function labelName(k: string): string {
  const s = k.replace(/[^a-zA-Z0-9_]/g, '_');
  return LABEL_NAME.test(s) ? s : `_${s}`;
}

export function toAlertmanagerAlert(n: Notification, cfg: Pick<AlertmanagerSinkConfig, 'ttl' | 'generatorUrl' | 'labels'>, nowMs: number): AlertmanagerAlert {
  const f = n.finding;
  const labels = stableLabels(n, cfg.labels);
  const annotations: Record<string, string> = {
    summary: f.summary,
    description: f.description ?? `${f.summary} (${occurrenceLine(n)})`,
    occurrences: String(n.occurrences),
    first_seen: n.firstSeen,
    last_seen: n.lastSeen,
    evidence: evidenceText(n, 4000),
    notification_id: n.id,
    chainwatch_action: n.action,
    ...(n.auditUrl ? { audit_url: n.auditUrl } : {}),
    ...(f.source ? { source: f.source } : {}),
    ...(f.links.length ? { links: f.links.map((l) => `${l.title}: ${l.url}`).join('\n') } : {}),
  };
  const generatorURL = n.auditUrl ?? cfg.generatorUrl ?? f.links[0]?.url;
  return {
    labels,
    annotations,
    startsAt: n.firstSeen,
    endsAt: new Date(n.action === 'resolve' ? nowMs : nowMs + cfg.ttl).toISOString(),
    ...(generatorURL ? { generatorURL } : {}),
  };
}

function stableLabels(n: Notification, extra: Record<string, string>): Record<string, string> {
  // A new episode (trigger) builds fresh labels; its updates and resolve reuse the trigger's.
  if (n.externalRef && n.action !== 'trigger') {
    try {
      const prev = JSON.parse(n.externalRef) as unknown;
      if (prev && typeof prev === 'object' && !Array.isArray(prev)) return prev as Record<string, string>;
    } catch {
      // not ours (e.g. an older format): rebuild from the finding below
    }
  }
  const f = n.finding;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra)) labels[labelName(k)] = v;
  for (const [k, v] of Object.entries(f.labels)) labels[labelName(k)] = v;
  Object.assign(labels, {
    alertname: f.rule,
    severity: f.severity,
    category: f.category,
    dedupKey: n.dedupKey,
    subject: f.subject,
    rule: f.rule,
    detector: f.detector,
    route: n.route,
    ...(f.tenant ? { tenant: f.tenant } : {}),
  });
  return labels;
}

export class AlertmanagerSink implements AlertSink {
  readonly kind = 'alertmanager';
  readonly name: string;
  private readonly endpoint: string;
  private readonly http: HttpClient;

  constructor(
    private readonly cfg: AlertmanagerSinkConfig,
    private readonly deps: { fetch?: typeof fetch; now?: () => number } = {},
  ) {
    this.name = cfg.name;
    this.endpoint = `${cfg.url.replace(/\/+$/, '')}/api/v2/alerts`;
    this.http = sinkHttpClient(this.name, deps.fetch);
  }

  async deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const alert = toAlertmanagerAlert(n, this.cfg, this.deps.now?.() ?? Date.now());
    const headers: Record<string, string> = { 'idempotency-key': n.id };
    if (this.cfg.token) headers.authorization = `Bearer ${this.cfg.token.reveal()}`;
    else if (this.cfg.basicAuth) {
      headers.authorization = `Basic ${Buffer.from(`${this.cfg.basicAuth.username}:${this.cfg.basicAuth.password.reveal()}`).toString('base64')}`;
    }
    await this.http.request({ url: this.endpoint, method: 'POST', body: [alert], headers, signal });
    // The label set is the alert's identity in Alertmanager: remember it for updates and the resolve.
    return n.action === 'resolve' ? {} : { externalRef: JSON.stringify(alert.labels) };
  }
}

export function createAlertmanagerSink(config: unknown, deps?: ConstructorParameters<typeof AlertmanagerSink>[1]): AlertmanagerSink {
  return new AlertmanagerSink(parseConfig(alertmanagerSinkConfigSchema, config, 'sinks.alerts.receivers[]'), deps);
}
