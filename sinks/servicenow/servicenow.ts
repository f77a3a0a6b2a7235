import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertSink, DeliveryResult, Notification, Severity } from '../../core/index.js';
import { HttpError, SEVERITIES } from '../../core/index.js';
import { type HttpClient, parseConfig, secretSchema } from '../../core/index.js';
import { sinkHttpClient, wireCall } from '../shared/index.js';

type Level = '1' | '2' | '3';
/** Severity → (urgency, impact); with ServiceNow's default priority lookup: P1 … P5. */
export const SERVICENOW_URGENCY_IMPACT: Record<Severity, { urgency: Level; impact: Level }> = {
  critical: { urgency: '1', impact: '1' }, // P1 Critical
  high: { urgency: '1', impact: '2' }, // P2 High
  medium: { urgency: '2', impact: '2' }, // P3 Moderate
  low: { urgency: '2', impact: '3' }, // P4 Low
  info: { urgency: '3', impact: '3' }, // P5 Planning
};

const level = z.enum(['1', '2', '3']);
/** `password`/`token` arrive resolved: the daemon resolves `{ env }`/`{ file }` references first. */
export const serviceNowSinkConfigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('servicenow').default('servicenow'),
    /** https://<instance>.service-now.com */
    instanceUrl: z.url(),
    /** Basic auth (integration user) or an OAuth bearer token; both are secrets. */
    auth: z.union([z.object({ username: z.string().min(1), password: secretSchema }).strict(), z.object({ token: secretSchema }).strict()]),
    table: z
      .string()
      .regex(/^[a-z0-9_]+$/)
      .default('incident'),
    category: z.string().min(1).default('software'),
    subcategory: z.string().min(1).optional(),
    /** sys_id or name of the assignment group. */
    assignmentGroup: z.string().min(1).optional(),
    callerId: z.string().min(1).optional(),
    /** Resolution code required by the incident data policy on state 6. */
    closeCode: z.string().min(1).default('Solution provided'),
    /** Overrides per severity; missing severities use SERVICENOW_URGENCY_IMPACT. */
    urgencyImpact: z.partialRecord(z.enum(SEVERITIES), z.object({ urgency: level, impact: level }).strict()).default(SERVICENOW_URGENCY_IMPACT),
  })
  .strict();
export type ServiceNowSinkConfig = z.input<typeof serviceNowSinkConfigSchema>;

interface Record_ {
  sys_id?: string;
  number?: string;
  state?: string;
  active?: string;
  description?: string;
}

/** Incident states: 6 Resolved, 7 Closed, 8 Canceled count as no longer open. */
const OPEN_QUERY = 'active=true^stateNOT IN6,7,8';
const TEXT_MAX = 4000;

/**
 * ServiceNow Table API ticket sink. Idempotent on the dedupKey through correlation_id (the key
 * itself when it fits the field's 100 characters and holds no encoded-query operators, else a
 * hash): a crash between create and recording is healed by querying open incidents by it.
 * Repeats add work notes; resolve sets state 6 with close_code and close_notes in one PATCH.
 */
export class ServiceNowSink implements AlertSink {
  readonly kind = 'servicenow';
  readonly name: string;
  readonly #cfg: z.output<typeof serviceNowSinkConfigSchema>;
  readonly #http: HttpClient;

  constructor(config: z.output<typeof serviceNowSinkConfigSchema>, deps: { fetch?: typeof fetch } = {}) {
    this.#cfg = config;
    this.name = this.#cfg.name;
    this.#http = sinkHttpClient(this.name, deps.fetch);
  }

  /** The Authorization header and every form of the credential that must never reach a message. */
  #auth(): { header: string; secrets: string[] } {
    const a = this.#cfg.auth;
    if ('token' in a) return { header: `Bearer ${a.token.reveal()}`, secrets: [a.token.reveal()] };
    const basic = Buffer.from(`${a.username}:${a.password.reveal()}`).toString('base64');
    return { header: `Basic ${basic}`, secrets: [a.password.reveal(), basic] };
  }

  async deliver(n: Notification, signal: AbortSignal): Promise<DeliveryResult> {
    const open = await this.#findOpen(n, signal);
    switch (n.action) {
      case 'trigger':
      case 'update':
        if (!open) return { externalRef: await this.#create(n, signal) };
        // A redelivered trigger whose create already landed must not add a work note either.
        if (!(open.description ?? '').includes(`Notification: ${n.id}`)) {
          await this.#patch(
            open.sys_id!,
            { work_notes: clip(`Still firing: ${occurrences(n)}.\n\nEvidence:\n${evidence(n)}\n\nNotification: ${n.id}`) },
            'add work note',
            signal,
          );
        }
        return { externalRef: open.sys_id! };
      case 'resolve':
        if (!open) return n.externalRef ? { externalRef: n.externalRef } : {};
        await this.#patch(
          open.sys_id!,
          {
            state: '6',
            close_code: this.#cfg.closeCode,
            close_notes: clip(`Resolved by chainwatch: the condition cleared (${occurrences(n)}).`),
            work_notes: clip(`Resolved by chainwatch. Notification: ${n.id}`),
          },
          'resolve incident',
          signal,
        );
        return { externalRef: open.sys_id! };
    }
  }

  async #findOpen(n: Notification, signal: AbortSignal): Promise<Record_ | undefined> {
    const fields = 'sys_id,number,state,active,description';
    if (n.externalRef && /^[0-9a-f]{32}$/.test(n.externalRef)) {
      try {
        const one = (await this.#json({ method: 'GET', path: `/${n.externalRef}?sysparm_fields=${fields}`, what: 'get incident' }, signal)) as {
          result?: Record_;
        };
        const r = one.result;
        if (r?.sys_id && r.active === 'true' && !['6', '7', '8'].includes(r.state ?? '')) return r;
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 404)) throw err;
      }
    }
    const q = new URLSearchParams({
      sysparm_query: `correlation_id=${serviceNowCorrelationId(n.dedupKey)}^${OPEN_QUERY}^ORDERBYsys_created_on`,
      sysparm_fields: fields,
      sysparm_limit: '1',
    });
    const list = (await this.#json({ method: 'GET', path: `?${q.toString()}`, what: 'query incidents' }, signal)) as { result?: Record_[] };
    if (!Array.isArray(list.result)) throw new HttpError('HTTP_BAD_RESPONSE', `sink ${this.name}: reply without result array [query incidents]`);
    return list.result.find((r) => typeof r.sys_id === 'string');
  }

  async #create(n: Notification, signal: AbortSignal): Promise<string> {
    const f = n.finding;
    const { urgency, impact } = this.#cfg.urgencyImpact[f.severity] ?? SERVICENOW_URGENCY_IMPACT[f.severity];
    const body = {
      short_description: oneLine(`[chainwatch ${f.severity}] ${f.summary}`, 160),
      description: clip(description(n)),
      urgency,
      impact,
      category: this.#cfg.category,
      ...(this.#cfg.subcategory ? { subcategory: this.#cfg.subcategory } : {}),
      ...(this.#cfg.assignmentGroup ? { assignment_group: this.#cfg.assignmentGroup } : {}),
      ...(this.#cfg.callerId ? { caller_id: this.#cfg.callerId } : {}),
      correlation_id: serviceNowCorrelationId(n.dedupKey),
      correlation_display: 'chainwatch',
    };
    const created = (await this.#json({ method: 'POST', path: '', what: 'create incident', json: body }, signal)) as { result?: Record_ };
    const sysId = created.result?.sys_id;
    if (typeof sysId !== 'string') throw new HttpError('HTTP_BAD_RESPONSE', `sink ${this.name}: reply without sys_id [create incident]`);
    return sysId;
  }

  async #patch(sysId: string, body: Record<string, string>, what: string, signal: AbortSignal): Promise<void> {
    await this.#json({ method: 'PATCH', path: `/${sysId}`, what, json: body }, signal);
  }

  async #json(req: { method: 'GET' | 'POST' | 'PATCH'; path: string; what: string; json?: unknown }, signal: AbortSignal): Promise<unknown> {
    const auth = this.#auth();
    const res = await wireCall({
      client: this.#http,
      req: {
        method: req.method,
        url: `${this.#cfg.instanceUrl.replace(/\/+$/, '')}/api/now/table/${this.#cfg.table}${req.path}`,
        headers: { authorization: auth.header, accept: 'application/json' },
        ...(req.json !== undefined ? { body: req.json } : {}),
      },
      what: req.what,
      signal,
      secrets: auth.secrets,
      detail: serviceNowDetail,
    });
    return res.json();
  }
}

/** correlation_id holds 100 characters; ^ , = and spaces would change an encoded query. */
export function serviceNowCorrelationId(dedupKey: string): string {
  if (dedupKey.length <= 100 && /^[A-Za-z0-9._:/@+-]+$/.test(dedupKey)) return dedupKey;
  return `chainwatch:sha256:${createHash('sha256').update(dedupKey).digest('hex').slice(0, 40)}`;
}

function occurrences(n: Notification): string {
  return `${n.occurrences} occurrence${n.occurrences === 1 ? '' : 's'} since ${n.firstSeen} (last ${n.lastSeen})`;
}

function evidence(n: Notification): string {
  return Object.entries(n.finding.evidence)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

function description(n: Notification): string {
  const f = n.finding;
  const links = [...(n.auditUrl ? [{ title: 'Audit record', url: n.auditUrl }] : []), ...f.links];
  return [
    f.summary,
    // Facts before the free text: the 4000-character cut must never drop the notification id.
    `Severity: ${f.severity}\nCategory: ${f.category}\nRule: ${f.rule}\nDetector: ${f.detector}\nSubject: ${f.subject}${f.tenant ? `\nTenant: ${f.tenant}` : ''}`,
    `Occurrences: ${occurrences(n)}\nDedup key: ${n.dedupKey}\nNotification: ${n.id}`,
    f.description ?? '',
    links.length ? `Links:\n${links.map((l) => `- ${l.title}: ${l.url}`).join('\n')}` : '',
    `Evidence:\n${evidence(n)}`,
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** String fields default to 4000 characters on the incident table. */
function clip(s: string): string {
  return s.length <= TEXT_MAX ? s : `${s.slice(0, TEXT_MAX - 14)}\n… (truncated)`;
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/** ServiceNow errors: {error: {message, detail}, status: "failure"}. */
function serviceNowDetail(text: string): string | undefined {
  try {
    const b = JSON.parse(text) as { error?: { message?: unknown; detail?: unknown } };
    return [b.error?.message, b.error?.detail].filter((x) => typeof x === 'string' && x).join(': ') || undefined;
  } catch {
    return text.trim().slice(0, 200) || undefined;
  }
}

export function createServiceNowSink(config: ServiceNowSinkConfig, deps: { fetch?: typeof fetch } = {}): AlertSink {
  return new ServiceNowSink(parseConfig(serviceNowSinkConfigSchema, config, 'sinks.alerts.receivers[]'), deps);
}
