import { HttpError } from '../../core/index.js';
import { httpRequest, type HttpRequest, type HttpResponse } from './http.js';

/**
 * Requests of the REST-style adapters (GitHub, Jira, PagerDuty, ServiceNow, Slack) go through the
 * pipeline's one HTTP client (httpRequest: classification, Retry-After, scrubbed causes, no
 * retries). This wrapper only makes a refusal explainable: it keeps the first 4 KiB of a non-2xx
 * body and the headers, appends the system's own reason (parsed by `detail`, then redacted) and
 * the operation to the message, and lets the adapter reclassify (GitHub's rate-limit 403).
 * It is a wrapper rather than options of httpRequest so the other sinks' calls stay untouched.
 */
export interface WireCall {
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
  /** Undefined means the global fetch (adapters pass their optional test double straight through). */
  fetchImpl?: typeof fetch | undefined;
}

const DETAIL_BYTES = 4096;

export async function wireCall(c: WireCall): Promise<HttpResponse> {
  const seen: { text?: string; headers?: Headers } = {};
  const base = c.fetchImpl ?? fetch;
  const observing: typeof fetch = async (input, init) => {
    const res = await base(input, init);
    if (res.status >= 300) {
      seen.headers = res.headers;
      seen.text = await head(res.clone());
    }
    return res;
  };
  try {
    return await httpRequest(c.req, c.signal, observing);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    const special = seen.headers ? c.reclassify?.(err, seen.headers) : undefined;
    const e = special ?? err;
    const reason = seen.text ? (c.detail ?? firstLine)(seen.text) : undefined;
    const suffix = reason ? `: ${redactSecrets(reason, c.secrets).slice(0, 300)}` : '';
    throw new HttpError(e.code, `${e.message} [${c.what}]${suffix}`, {
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      cause: err,
    });
  }
}

async function head(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let out = '';
  try {
    while (out.length < DETAIL_BYTES) {
      const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
      const { done, value } = chunk;
      if (done) break;
      out += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body we cannot read only costs us the detail.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return out.slice(0, DETAIL_BYTES);
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
