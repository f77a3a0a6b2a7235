import { HttpClient, HttpError, type HttpRequest, type HttpResponse } from '../../core/index.js';

/**
 * How sink adapters speak HTTP: through core's one client (classification at the edge,
 * Retry-After, scrubbed causes, no retries: the pipeline's outbox owns retry policy), configured
 * the same way for every sink by sinkHttpClient().
 */

/**
 * The client of one sink instance. Messages name the sink, never the URL, whose path or query
 * often carries a token (Slack/Teams webhooks, PagerDuty routing keys). Redirects are refused:
 * following one would send credentials wherever the peer points. The per-attempt timeout comes
 * with the pipeline's signal.
 */
export function sinkHttpClient(sink: string, fetchImpl?: typeof fetch): HttpClient {
  return new HttpClient({ peer: `sink ${sink}`, redirect: 'refuse', headers: { 'user-agent': 'chainwatch' }, fetch: fetchImpl });
}

/**
 * Requests of the REST-style adapters (GitHub, Jira, PagerDuty, ServiceNow, Slack): a refusal is
 * made explainable by appending the operation and the system's own reason (parsed from the head of
 * the error body by `detail`, then redacted) to the message, and the adapter may reclassify it
 * (GitHub's rate-limit 403). Every other error keeps its code and gains the operation.
 */
export interface WireCall {
  client: HttpClient;
  req: HttpRequest;
  /** Operation for messages, e.g. "create issue". Never a URL. */
  what: string;
  signal: AbortSignal;
  /** Values that must not reach a message even when the peer echoes them. */
  secrets: readonly string[];
  /** The system's reason from an error body (e.g. Jira errorMessages). */
  detail?: (text: string) => string | undefined;
  /** Turns a refusal into a different error (e.g. a rate limit GitHub signals with 403). */
  reclassify?: (err: HttpError, headers: Headers) => HttpError | undefined;
}

export async function wireCall(c: WireCall): Promise<HttpResponse> {
  let res: HttpResponse;
  try {
    res = await c.client.exchange({ ...c.req, signal: c.signal });
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    throw withContext(err, err, c.what, '');
  }
  if (res.status >= 200 && res.status < 300) return res;
  const err = c.client.statusError(res);
  const e = c.reclassify?.(err, res.headers) ?? err;
  const reason = res.text ? (c.detail ?? firstLine)(res.text) : undefined;
  throw withContext(e, err, c.what, reason ? `: ${redactSecrets(reason, c.secrets).slice(0, 300)}` : '');
}

function withContext(e: HttpError, cause: HttpError, what: string, suffix: string): HttpError {
  return new HttpError(e.code, `${e.message} [${what}]${suffix}`, {
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    cause,
  });
}

function firstLine(text: string): string | undefined {
  return text.trim().split('\n')[0]?.slice(0, 200) || undefined;
}

/** Replaces each secret, and its URL-encoded and base64 forms, with [redacted]. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const form of [s, encodeURIComponent(s), Buffer.from(s).toString('base64')]) out = out.split(form).join('[redacted]');
  }
  return out;
}
