import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertSink, DeliveryResult, Notification, Severity } from '../../core/index.js';
import { HttpError, SEVERITIES } from '../../core/index.js';
import { commentDoc, descriptionDoc } from './adf.js';
import { type HttpClient, parseConfig, type Secret, secretSchema } from '../../core/index.js';
import { SinkError, sinkHttpClient, wireCall } from '../shared/index.js';

export const JIRA_PRIORITY: Record<Severity, string> = { critical: 'Highest', high: 'High', medium: 'Medium', low: 'Low', info: 'Lowest' };

/** `apiToken` arrives resolved: the daemon resolves `{ env }`/`{ file }` references first. */
export const jiraSinkConfigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('jira').default('jira'),
    /** https://<site>.atlassian.net */
    baseUrl: z.url(),
    email: z.string().min(1),
    /** Atlassian API token (Basic auth email:token): a secret. */
    apiToken: secretSchema,
    projectKey: z.string().regex(/^[A-Z][A-Z0-9_]+$/),
    issueType: z.string().min(1).default('Task'),
    /** Name of the workflow transition that closes the issue (case-insensitive). */
    doneTransition: z.string().min(1).default('Done'),
    labels: z.array(z.string().regex(/^\S{1,255}$/)).default(['chainwatch']),
    /** Severity → priority name (missing severities use JIRA_PRIORITY); false when the create screen has no priority field. */
    priorities: z.union([z.literal(false), z.partialRecord(z.enum(SEVERITIES), z.string().min(1))]).default(JIRA_PRIORITY),
  })
  .strict();
export type JiraSinkConfig = z.input<typeof jiraSinkConfigSchema>;

interface OpenIssue {
  key: string;
  /** The serialized description, to spot a redelivered trigger that already created it. */
  description: string;
}

interface IssueJson {
  key?: string;
  fields?: { status?: { statusCategory?: { key?: string } }; description?: unknown };
}

/**
 * Jira Cloud REST v3 ticket sink. Idempotent on the dedupKey: the issue carries a label derived
 * from it, so after a crash between "created" and "recorded" the search finds the open issue
 * instead of creating a second one. Repeats comment; resolve comments and runs the Done transition.
 */
export class JiraSink implements AlertSink {
  readonly kind = 'jira';
  readonly name: string;
  readonly #cfg: z.output<typeof jiraSinkConfigSchema>;
  readonly #token: Secret;
  readonly #http: HttpClient;

  constructor(config: z.output<typeof jiraSinkConfigSchema>, deps: { fetch?: typeof fetch } = {}) {
    this.#cfg = config;
    this.name = this.#cfg.name;
    this.#token = this.#cfg.apiToken;
    this.#http = sinkHttpClient(this.name, deps.fetch);
  }

  async deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const open = await this.#findOpen(n, signal);
    switch (n.action) {
      case 'trigger':
      case 'update':
        if (!open) return { externalRef: await this.#create(n, signal) };
        // A redelivered trigger whose create already landed must not add a comment either.
        if (!open.description.includes(n.id)) await this.#comment(open.key, n, 'Still firing:', signal);
        return { externalRef: open.key };
      case 'resolve':
        if (!open) return n.externalRef ? { externalRef: n.externalRef } : {};
        await this.#comment(open.key, n, 'Resolved by chainwatch:', signal);
        await this.#transitionDone(open.key, signal);
        return { externalRef: open.key };
    }
  }

  /** The recorded issue when it is still open, else the oldest open issue carrying the dedup label. */
  async #findOpen(n: Notification, signal: AbortSignal): Promise<OpenIssue | undefined> {
    if (n.externalRef) {
      try {
        const issue = (await this.#json(
          { method: 'GET', path: `/rest/api/3/issue/${encodeURIComponent(n.externalRef)}?fields=status,description`, what: 'get issue' },
          signal,
        )) as IssueJson;
        if (issue.fields?.status?.statusCategory?.key !== 'done')
          return { key: issue.key ?? n.externalRef, description: JSON.stringify(issue.fields?.description ?? '') };
      } catch (err) {
        // Deleted or moved out of reach: fall back to the label search.
        if (!(err instanceof HttpError && err.status === 404)) throw err;
      }
    }
    const jql = `project = "${this.#cfg.projectKey}" AND labels = "${jiraDedupLabel(n.dedupKey)}" AND statusCategory != Done ORDER BY created ASC`;
    const found = (await this.#json(
      { method: 'POST', path: '/rest/api/3/search/jql', what: 'search', json: { jql, fields: ['status', 'description'], maxResults: 5 } },
      signal,
    )) as { issues?: IssueJson[] };
    const first = found.issues?.find((i) => typeof i.key === 'string');
    return first ? { key: first.key!, description: JSON.stringify(first.fields?.description ?? '') } : undefined;
  }

  async #create(n: Notification, signal: AbortSignal): Promise<string> {
    const f = n.finding;
    const priority = this.#cfg.priorities === false ? undefined : (this.#cfg.priorities[f.severity] ?? JIRA_PRIORITY[f.severity]);
    const fields = {
      project: { key: this.#cfg.projectKey },
      issuetype: { name: this.#cfg.issueType },
      // Jira summaries are one line of at most 255 characters.
      summary: oneLine(`[chainwatch ${f.severity}] ${f.summary}`, 255),
      description: descriptionDoc(n),
      labels: [...new Set([...this.#cfg.labels, jiraDedupLabel(n.dedupKey)])],
      ...(priority ? { priority: { name: priority } } : {}),
    };
    const created = (await this.#json({ method: 'POST', path: '/rest/api/3/issue', what: 'create issue', json: { fields } }, signal)) as { key?: unknown };
    if (typeof created.key !== 'string') throw new HttpError('HTTP_BAD_RESPONSE', `sink ${this.name}: reply without key [create issue]`);
    return created.key;
  }

  async #comment(key: string, n: Notification, lead: string, signal: AbortSignal): Promise<void> {
    await this.#json(
      { method: 'POST', path: `/rest/api/3/issue/${encodeURIComponent(key)}/comment`, what: 'add comment', json: { body: commentDoc(n, lead) } },
      signal,
    );
  }

  async #transitionDone(key: string, signal: AbortSignal): Promise<void> {
    const path = `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`;
    const list = (await this.#json({ method: 'GET', path, what: 'list transitions' }, signal)) as { transitions?: { id?: string; name?: string }[] };
    const wanted = this.#cfg.doneTransition.toLowerCase();
    const t = list.transitions?.find((x) => x.name?.toLowerCase() === wanted);
    // A workflow without that transition is a configuration problem: retrying will not help.
    if (!t?.id)
      throw new SinkError('SINK_CONFIG', `sink ${this.name}: no transition named "${this.#cfg.doneTransition}" available on ${key} [transition issue]`);
    await this.#json({ method: 'POST', path, what: 'transition issue', json: { transition: { id: t.id } } }, signal);
  }

  async #json(req: { method: 'GET' | 'POST'; path: string; what: string; json?: unknown }, signal: AbortSignal): Promise<unknown> {
    const token = this.#token.reveal();
    const basic = Buffer.from(`${this.#cfg.email}:${token}`).toString('base64');
    const res = await wireCall({
      client: this.#http,
      req: {
        method: req.method,
        url: new URL(req.path, this.#cfg.baseUrl).toString(),
        headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
        ...(req.json !== undefined ? { body: req.json } : {}),
      },
      what: req.what,
      signal,
      secrets: [token, basic],
      detail: jiraDetail,
    });
    return res.status === 204 || res.text === '' ? {} : res.json();
  }
}

/** Labels may not contain spaces: a readable, sanitized prefix of the key plus a hash of all of it. */
export function jiraDedupLabel(dedupKey: string): string {
  const readable = dedupKey.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  return `cw-${readable}-${createHash('sha256').update(dedupKey).digest('hex').slice(0, 12)}`;
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/** Jira errors: {errorMessages: [...], errors: {field: message}}. */
function jiraDetail(text: string): string | undefined {
  try {
    const b = JSON.parse(text) as { errorMessages?: unknown; errors?: unknown };
    const msgs = Array.isArray(b.errorMessages) ? b.errorMessages.filter((m) => typeof m === 'string') : [];
    const fields = b.errors && typeof b.errors === 'object' ? Object.entries(b.errors).map(([k, v]) => `${k}: ${String(v)}`) : [];
    return [...msgs, ...fields].join('; ') || undefined;
  } catch {
    return text.trim().slice(0, 200) || undefined;
  }
}

export function createJiraSink(config: JiraSinkConfig, deps: { fetch?: typeof fetch } = {}): AlertSink {
  return new JiraSink(parseConfig(jiraSinkConfigSchema, config, 'sinks.alerts.receivers[]'), deps);
}
