import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertSink, DeliveryResult, Notification } from '../../core/index.js';
import { HttpError, parseRetryAfter } from '../../core/index.js';
import { type HttpClient, parseConfig, type Secret, secretSchema } from '../../core/index.js';
import { sinkHttpClient, wireCall } from '../shared/index.js';
import { commentBody, issueBody, issueTitle, notificationMarker } from './markdown.js';

/** `token` arrives resolved: the daemon resolves `{ env }`/`{ file }` references first. */
export const githubSinkConfigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('github').default('github'),
    /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
    baseUrl: z.url().default('https://api.github.com'),
    owner: z.string().regex(/^[A-Za-z0-9-]{1,39}$/),
    repo: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
    /** Fine-grained PAT or installation token with issues:write: a secret. */
    token: secretSchema,
    labels: z.array(z.string().min(1).max(50)).default(['chainwatch']),
    apiVersion: z.string().default('2022-11-28'),
  })
  .strict();
export type GitHubSinkConfig = z.input<typeof githubSinkConfigSchema>;

interface IssueJson {
  number?: number;
  state?: string;
  body?: string | null;
  pull_request?: unknown;
}

/**
 * GitHub Issues ticket sink. Idempotent on the dedupKey through a label derived from it (GitHub
 * label names hold at most 50 characters, hence a hash): the open issue is found by listing open
 * issues with that label, so a crash between create and recording never opens a second one.
 */
export class GitHubSink implements AlertSink {
  readonly kind = 'github';
  readonly name: string;
  readonly #cfg: z.output<typeof githubSinkConfigSchema>;
  readonly #token: Secret;
  readonly #http: HttpClient;

  constructor(config: z.output<typeof githubSinkConfigSchema>, deps: { fetch?: typeof fetch } = {}) {
    this.#cfg = config;
    this.name = this.#cfg.name;
    this.#token = this.#cfg.token;
    this.#http = sinkHttpClient(this.name, deps.fetch);
  }

  async deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const open = await this.#findOpen(n, signal);
    switch (n.action) {
      case 'trigger':
      case 'update':
        if (!open) return { externalRef: String(await this.#create(n, signal)) };
        // A redelivered trigger whose create already landed must not add a comment either.
        if (!(open.body ?? '').includes(`${notificationMarker(n.id)} -->`)) await this.#comment(open.number!, n, 'Still firing:', signal);
        return { externalRef: String(open.number) };
      case 'resolve':
        if (!open) return n.externalRef ? { externalRef: n.externalRef } : {};
        await this.#comment(open.number!, n, 'Resolved by chainwatch:', signal);
        await this.#json(
          { method: 'PATCH', path: `/issues/${open.number}`, what: 'close issue', json: { state: 'closed', state_reason: 'completed' } },
          signal,
        );
        return { externalRef: String(open.number) };
    }
  }

  async #findOpen(n: Notification, signal: AbortSignal): Promise<IssueJson | undefined> {
    if (n.externalRef && /^\d+$/.test(n.externalRef)) {
      try {
        const issue = (await this.#json({ method: 'GET', path: `/issues/${n.externalRef}`, what: 'get issue' }, signal)) as IssueJson;
        if (issue.state === 'open' && !issue.pull_request && typeof issue.number === 'number') return issue;
      } catch (err) {
        // 404 (deleted) and 410 (issues disabled/transferred): fall back to the label search.
        if (!(err instanceof HttpError && (err.status === 404 || err.status === 410))) throw err;
      }
    }
    const q = new URLSearchParams({ labels: githubDedupLabel(n.dedupKey), state: 'open', sort: 'created', direction: 'asc', per_page: '10' });
    const list = await this.#json({ method: 'GET', path: `/issues?${q.toString()}`, what: 'list issues' }, signal);
    if (!Array.isArray(list)) throw new HttpError('HTTP_BAD_RESPONSE', `sink ${this.name}: reply is not an array [list issues]`);
    return (list as IssueJson[]).find((i) => !i.pull_request && typeof i.number === 'number');
  }

  async #create(n: Notification, signal: AbortSignal): Promise<number> {
    const labels = [...new Set([...this.#cfg.labels, githubDedupLabel(n.dedupKey)])];
    const created = (await this.#json(
      { method: 'POST', path: '/issues', what: 'create issue', json: { title: issueTitle(n), body: issueBody(n), labels } },
      signal,
    )) as IssueJson;
    if (typeof created.number !== 'number') throw new HttpError('HTTP_BAD_RESPONSE', `sink ${this.name}: reply without number [create issue]`);
    return created.number;
  }

  async #comment(num: number, n: Notification, lead: string, signal: AbortSignal): Promise<void> {
    await this.#json({ method: 'POST', path: `/issues/${num}/comments`, what: 'add comment', json: { body: commentBody(n, lead) } }, signal);
  }

  async #json(req: { method: 'GET' | 'POST' | 'PATCH'; path: string; what: string; json?: unknown }, signal: AbortSignal): Promise<unknown> {
    const token = this.#token.reveal();
    const res = await wireCall({
      client: this.#http,
      req: {
        method: req.method,
        url: `${this.#cfg.baseUrl.replace(/\/+$/, '')}/repos/${this.#cfg.owner}/${this.#cfg.repo}${req.path}`,
        headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'x-github-api-version': this.#cfg.apiVersion },
        ...(req.json !== undefined ? { body: req.json } : {}),
      },
      what: req.what,
      signal,
      secrets: [token],
      detail: githubDetail,
      reclassify: (err, headers) => {
        const limit = githubRateLimit(err.status ?? 0, headers);
        if (!limit?.rateLimited) return undefined;
        return new HttpError('HTTP_RATE_LIMITED', `sink ${this.name}: rate limited (${err.status})`, {
          ...(err.status !== undefined ? { status: err.status } : {}),
          ...(limit.retryAfterMs !== undefined ? { retryAfterMs: limit.retryAfterMs } : {}),
        });
      },
    });
    return res.json();
  }
}

/**
 * GitHub signals rate limits with 403 or 429: primary limits set x-ratelimit-remaining: 0 and
 * x-ratelimit-reset (epoch seconds), secondary limits send retry-after. A 403 with neither is a
 * permission problem and stays a client error.
 */
export function githubRateLimit(status: number, headers: Headers, nowMs: number = Date.now()): { rateLimited: boolean; retryAfterMs?: number } | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = parseRetryAfter(headers.get('retry-after'), nowMs);
  if (retryAfter !== undefined) return { rateLimited: true, retryAfterMs: retryAfter };
  if (headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(headers.get('x-ratelimit-reset'));
    return Number.isFinite(reset) && reset > 0 ? { rateLimited: true, retryAfterMs: Math.max(0, reset * 1000 - nowMs) } : { rateLimited: true };
  }
  return status === 429 ? { rateLimited: true } : undefined;
}

/** At most 50 characters: "cw-dedup-" and 24 hex digits of sha256(dedupKey). */
export function githubDedupLabel(dedupKey: string): string {
  return `cw-dedup-${createHash('sha256').update(dedupKey).digest('hex').slice(0, 24)}`;
}

/** GitHub errors: {message, errors: [{resource, field, code, message?}], documentation_url}. */
function githubDetail(text: string): string | undefined {
  try {
    const b = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errs = Array.isArray(b.errors) ? b.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ') : '';
    return [typeof b.message === 'string' ? b.message : '', errs].filter(Boolean).join(': ') || undefined;
  } catch {
    return text.trim().slice(0, 200) || undefined;
  }
}

export function createGitHubSink(config: GitHubSinkConfig, deps: { fetch?: typeof fetch } = {}): AlertSink {
  return new GitHubSink(parseConfig(githubSinkConfigSchema, config, 'sinks.alerts.receivers[]'), deps);
}
