import { z } from 'zod';
import type { AlertSink, DeliveryResult, Notification } from '../../core/index.js';
import { HttpError } from '../../core/index.js';
import { type HttpClient, parseConfig, type Secret, secretSchema } from '../../core/index.js';
import { sinkHttpClient, wireCall } from '../shared/index.js';
import { buildSlackMessage } from './format.js';

/**
 * Secrets (`webhookUrl`) arrive resolved: in the config file they are `{ env: NAME }`,
 * `{ file: PATH }` or an inline string, and the daemon resolves them before this schema runs.
 */
export const slackSinkConfigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('slack').default('slack'),
    /** Incoming webhook URL (https://hooks.slack.com/services/T…/B…/…): the URL is the credential. */
    webhookUrl: secretSchema.refine((s) => /^https?:\/\//.test(s.reveal()), 'expected an http(s) URL'),
    /** Prepended to critical triggers, e.g. "<!here>" or "<!subteam^S123>". */
    mentionOnCritical: z.string().min(1).optional(),
    /** Finding links shown as buttons (the audit link is extra). */
    maxLinks: z.number().int().min(0).max(20).default(5),
  })
  .strict();
export type SlackSinkConfig = z.input<typeof slackSinkConfigSchema>;

/**
 * Posts findings to a Slack channel through an incoming webhook (Block Kit). Webhooks answer
 * 200 "ok" and return no message id, so there is no externalRef and a resolve is a new message.
 */
export class SlackSink implements AlertSink {
  readonly kind = 'slack';
  readonly name: string;
  readonly #cfg: z.output<typeof slackSinkConfigSchema>;
  readonly #url: Secret;
  readonly #http: HttpClient;

  constructor(config: z.output<typeof slackSinkConfigSchema>, deps: { fetch?: typeof fetch } = {}) {
    this.#cfg = config;
    this.name = this.#cfg.name;
    this.#url = this.#cfg.webhookUrl;
    this.#http = sinkHttpClient(this.name, deps.fetch);
  }

  async deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const message = buildSlackMessage(n, {
      maxLinks: this.#cfg.maxLinks,
      ...(this.#cfg.mentionOnCritical ? { mentionOnCritical: this.#cfg.mentionOnCritical } : {}),
    });
    const url = this.#url.reveal();
    const res = await wireCall({
      client: this.#http,
      req: { method: 'POST', url, body: message },
      what: `post ${n.action}`,
      signal,
      secrets: [url, ...webhookParts(url)],
    });
    // Anything but "ok" on a 2xx means a proxy or a different endpoint answered.
    if (res.text.trim() !== 'ok') {
      throw new HttpError('HTTP_BAD_RESPONSE', `sink ${this.name}: HTTP ${res.status} without "ok" [post ${n.action}]`, { status: res.status });
    }
    return {};
  }
}

/** The path alone (its last segment especially) is the credential too. */
function webhookParts(url: string): string[] {
  try {
    const path = new URL(url).pathname;
    return [path, ...path.split('/').filter((p) => p.length >= 8)];
  } catch {
    return [];
  }
}

export function createSlackSink(config: SlackSinkConfig, deps: { fetch?: typeof fetch } = {}): AlertSink {
  return new SlackSink(parseConfig(slackSinkConfigSchema, config, 'sinks.alerts.receivers[]'), deps);
}
