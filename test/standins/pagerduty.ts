import { randomUUID } from 'node:crypto';
import { INVALID_JSON, isObject, Standin, type RecordedRequest, type Reply } from './base.js';

/**
 * PagerDuty Events API v2 stand-in (POST /v2/enqueue) checking the documented event contract:
 * routing_key (32 chars, must be the integration's), event_action trigger|acknowledge|resolve,
 * dedup_key <= 255 (required unless trigger), trigger payload {summary 1..1024, source, severity
 * critical|error|warning|info, timestamp ISO 8601, component/group/class strings, custom_details
 * object}, links [{href, text?}], images [{src, href?, alt?}], event <= 512 KB. Answers 202
 * {status, message, dedup_key} or 400 {status: "invalid event", message, errors}.
 */
export interface PagerDutyAlert {
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  triggers: number;
  lastPayload: Record<string, unknown> | undefined;
}

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);
const TOP_LEVEL = new Set(['routing_key', 'event_action', 'dedup_key', 'payload', 'links', 'images', 'client', 'client_url']);
const PAYLOAD = new Set(['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details']);

export class PagerDutyStandin extends Standin {
  readonly alerts = new Map<string, PagerDutyAlert>();
  readonly routingKey = 'R0ut1ngKeyChainwatch0123456789ab';
  lastErrors: string[] = [];

  protected handle(req: RecordedRequest): Reply {
    if (req.path !== '/v2/enqueue') return { status: 404, body: { status: 'error', message: 'Not found' } };
    if (req.method !== 'POST') return { status: 405, body: { status: 'error', message: 'Method not allowed' } };
    if (req.json === INVALID_JSON || !isObject(req.json)) return invalid(['Malformed JSON']);
    const errors = checkEvent(req.json, req.body.length);
    if (errors.length === 0 && req.json.routing_key !== this.routingKey) errors.push('Invalid routing key');
    this.lastErrors = errors;
    if (errors.length) return invalid(errors);
    const e = req.json as { event_action: string; dedup_key?: string; payload?: Record<string, unknown> };
    const dedupKey = e.dedup_key ?? randomUUID().replace(/-/g, '');
    const alert = this.alerts.get(dedupKey);
    if (e.event_action === 'trigger') {
      // A trigger on an open alert appends to it; on a resolved one it opens a new incident.
      if (alert && alert.status !== 'resolved') {
        alert.triggers++;
        alert.lastPayload = e.payload;
      } else this.alerts.set(dedupKey, { dedupKey, status: 'triggered', triggers: 1, lastPayload: e.payload });
    } else if (alert && alert.status !== 'resolved') {
      alert.status = e.event_action === 'resolve' ? 'resolved' : 'acknowledged';
    }
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  }
}

function invalid(errors: string[]): Reply {
  return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
}

export function checkEvent(e: Record<string, unknown>, size: number): string[] {
  const errs: string[] = [];
  if (size > 512 * 1024) errs.push('Event object exceeds 512 KB');
  for (const k of Object.keys(e)) if (!TOP_LEVEL.has(k)) errs.push(`'${k}' is not a recognised field`);
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errs.push("'routing_key' must be a 32 character string");
  if (typeof e.event_action !== 'string' || !ACTIONS.has(e.event_action))
    errs.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length === 0 || e.dedup_key.length > 255))
    errs.push("'dedup_key' must be a string of at most 255 characters");
  if (e.event_action !== 'trigger' && e.dedup_key === undefined) errs.push("'dedup_key' is required for acknowledge and resolve");
  if (e.event_action === 'trigger') checkPayload(e.payload, errs);
  for (const k of ['client', 'client_url'] as const) if (e[k] !== undefined && typeof e[k] !== 'string') errs.push(`'${k}' must be a string`);
  if (e.links !== undefined) {
    if (!Array.isArray(e.links)) errs.push("'links' must be an array");
    else
      e.links.forEach((l, i) => {
        if (!isObject(l) || typeof l.href !== 'string' || (l.text !== undefined && typeof l.text !== 'string'))
          errs.push(`'links[${i}]' must be {href, text?}`);
      });
  }
  if (e.images !== undefined) {
    if (!Array.isArray(e.images)) errs.push("'images' must be an array");
    else
      e.images.forEach((m, i) => {
        if (
          !isObject(m) ||
          typeof m.src !== 'string' ||
          (m.href !== undefined && typeof m.href !== 'string') ||
          (m.alt !== undefined && typeof m.alt !== 'string')
        )
          errs.push(`'images[${i}]' must be {src, href?, alt?}`);
      });
  }
  return errs;
}

function checkPayload(p: unknown, errs: string[]): void {
  if (!isObject(p)) return void errs.push("'payload' is required for trigger");
  for (const k of Object.keys(p)) if (!PAYLOAD.has(k)) errs.push(`'payload.${k}' is not a recognised field`);
  if (typeof p.summary !== 'string' || p.summary.length === 0) errs.push("'payload.summary' is missing or blank");
  else if (p.summary.length > 1024) errs.push("'payload.summary' is longer than 1024 characters");
  if (typeof p.source !== 'string' || p.source.length === 0) errs.push("'payload.source' is missing or blank");
  if (typeof p.severity !== 'string' || !SEVERITIES.has(p.severity))
    errs.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
  if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(p.timestamp)))
    errs.push("'payload.timestamp' must be ISO 8601");
  for (const k of ['component', 'group', 'class'] as const) if (p[k] !== undefined && typeof p[k] !== 'string') errs.push(`'payload.${k}' must be a string`);
  if (p.custom_details !== undefined && !isObject(p.custom_details)) errs.push("'payload.custom_details' must be an object");
}
