import { HttpError, httpStatusError } from '../../core/index.js';

/**
 * The one HTTP call sink adapters use. It classifies at the edge (HttpError: 408/429/5xx and
 * network failures retriable, Retry-After honoured; other 4xx not) and never retries itself:
 * the pipeline's worker owns retry policy. Error messages name the sink, never the URL, whose
 * path or query often carries a token (Slack/Teams webhooks, PagerDuty routing keys).
 */
export interface HttpRequest {
  method?: 'POST' | 'PUT' | 'PATCH' | 'GET';
  url: string;
  headers?: Record<string, string>;
  /** Sent as-is when a string (signatures are computed over these exact bytes), else JSON-encoded. */
  body?: unknown;
  /** For messages: the sink instance name. */
  sink: string;
  /** Largest response body read (bytes). */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T = unknown>(): T;
}

export async function httpRequest(req: HttpRequest, signal: AbortSignal, fetchImpl: typeof fetch = fetch): Promise<HttpResponse> {
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const headers: Record<string, string> = { 'user-agent': 'chainwatch', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers };
  let res: Response;
  try {
    res = await fetchImpl(req.url, { method: req.method ?? 'POST', headers, body, signal, redirect: 'manual' });
  } catch (err) {
    const timedOut = signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError';
    throw new HttpError(timedOut ? 'HTTP_TIMEOUT' : 'HTTP_UNREACHABLE', `sink ${req.sink}: ${timedOut ? 'timed out' : 'request failed'} (${errorName(err)})`, {
      cause: scrub(err),
    });
  }
  let text: string;
  try {
    text = await readLimited(res, req.maxResponseBytes ?? 1024 * 1024, req.sink);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    // The connection broke (or the attempt timed out) while the body was read: as retriable as a
    // failure before the status line, and undici's error may name the URL.
    const timedOut = signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError';
    throw new HttpError(
      timedOut ? 'HTTP_TIMEOUT' : 'HTTP_UNREACHABLE',
      `sink ${req.sink}: ${timedOut ? 'timed out' : 'connection lost'} reading the response (${errorName(err)})`,
      { status: res.status, cause: scrub(err) },
    );
  }
  const out: HttpResponse = {
    status: res.status,
    headers: res.headers,
    text,
    json<T>() {
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new HttpError('HTTP_BAD_RESPONSE', `sink ${req.sink}: response is not JSON`, { status: res.status, cause: err });
      }
    },
  };
  if (res.status >= 200 && res.status < 300) return out;
  throw statusError(req.sink, res.status, res.headers.get('retry-after'));
}

/** Maps a non-2xx status onto HttpError (exported for adapters with their own clients). */
export function statusError(sink: string, status: number, retryAfter?: string | null): HttpError {
  return httpStatusError(`sink ${sink}`, status, retryAfter);
}

async function readLimited(res: Response, max: number, sink: string): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new HttpError('HTTP_BODY_TOO_LARGE', `sink ${sink}: response larger than ${max} bytes`, { status: res.status });
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorName(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.name : 'Error';
}

/** undici puts the URL into some error messages; keep only the name and code in the cause chain. */
function scrub(err: unknown): Error {
  const e = new Error(errorName(err));
  e.name = err instanceof Error ? err.name : 'Error';
  return e;
}
