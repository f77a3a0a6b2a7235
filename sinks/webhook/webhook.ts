import { z } from 'zod';
import type { AlertSink, DeliveryResult, Notification } from '../../core/index.js';
import { type HttpClient, parseConfig, type Secret, secretSchema } from '../../core/index.js';
import { sinkHttpClient } from '../shared/index.js';
import { signWebhook } from './signature.js';

/**
 * Generic JSON webhook: POSTs one notification per request, signed (see signature.ts).
 * The notification id rides as Idempotency-Key and X-Chainwatch-Notification-Id: the outbox may
 * redeliver the same id after a crash, and receivers dedup on it.
 */
export const webhookSinkConfigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('webhook').default('webhook'),
    /**
     * Target URL; a secret because such URLs often embed a token (the daemon resolves
     * `{env: NAME}` / `{file: PATH}` references for keys named webhookUrl, secret, password, token...).
     */
    webhookUrl: secretSchema,
    /** HMAC-SHA256 key for X-Chainwatch-Signature. Strongly recommended; without it requests are unsigned. */
    secret: secretSchema.optional(),
    /** Extra static headers (e.g. a tenant id). Not for credentials: use `secret`. */
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type WebhookSinkConfig = z.output<typeof webhookSinkConfigSchema>;

/** The JSON body receivers get; `version` changes only on incompatible changes. */
export interface WebhookPayload {
  version: 1;
  id: string;
  action: Notification['action'];
  route: string;
  dedupKey: string;
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
  auditUrl?: string;
  externalRef?: string;
  finding: Notification['finding'];
}

export function webhookPayload(n: Notification): WebhookPayload {
  return {
    version: 1,
    id: n.id,
    action: n.action,
    route: n.route,
    dedupKey: n.dedupKey,
    occurrences: n.occurrences,
    firstSeen: n.firstSeen,
    lastSeen: n.lastSeen,
    ...(n.auditUrl ? { auditUrl: n.auditUrl } : {}),
    ...(n.externalRef ? { externalRef: n.externalRef } : {}),
    finding: n.finding,
  };
}

export class WebhookSink implements AlertSink {
  readonly kind = 'webhook';
  readonly name: string;
  private readonly url: Secret;
  private readonly secret: Secret | undefined;
  private readonly headers: Record<string, string>;
  private readonly http: HttpClient;

  constructor(
    config: WebhookSinkConfig,
    private readonly deps: { fetch?: typeof fetch; nowSec?: () => number } = {},
  ) {
    this.name = config.name;
    this.url = config.webhookUrl;
    this.secret = config.secret;
    this.headers = config.headers;
    this.http = sinkHttpClient(this.name, deps.fetch);
  }

  async deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const body = JSON.stringify(webhookPayload(n));
    const ts = this.deps.nowSec?.() ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      ...this.headers,
      'idempotency-key': n.id,
      'x-chainwatch-notification-id': n.id,
      'x-chainwatch-action': n.action,
      'x-chainwatch-timestamp': String(ts),
    };
    if (this.secret) headers['x-chainwatch-signature'] = signWebhook(body, this.secret.reveal(), ts);
    await this.http.request({ url: this.url.reveal(), method: 'POST', body, headers, signal });
    return {};
  }
}

export function createWebhookSink(config: unknown, deps?: ConstructorParameters<typeof WebhookSink>[1]): WebhookSink {
  return new WebhookSink(parseConfig(webhookSinkConfigSchema, config, 'sinks.alerts.receivers[]'), deps);
}
