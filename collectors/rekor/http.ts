import { HttpError } from '../../core/errors.js';
import { httpStatusError } from '../../core/http/status.js';
import { sleep } from '../../core/retry.js';

/**
 * The one HTTP edge of the collector: a token-bucket rate limit, a per-request timeout, a body size
 * cap, and classification of every failure into HttpError (429/5xx/network retriable, with
 * Retry-After). It never retries: callers wrap it in core/retry.ts withRetry.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number = Math.max(1, Math.ceil(ratePerSec)),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }
  /** Resolves once one token is available (and takes it). */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const t = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
      this.last = t;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000), signal);
    }
  }
}

export interface HttpOptions {
  maxBodyBytes: number;
  timeoutMs: number;
  bucket: TokenBucket;
  userAgent?: string;
}

export interface HttpResponse {
  status: number;
  body: Buffer;
}

/** GET/POST returning the body bytes of a 2xx; anything else throws a coded HttpError. */
export async function httpRequest(
  url: string,
  opts: HttpOptions,
  init: { method?: 'GET' | 'POST'; json?: unknown; signal?: AbortSignal } = {},
): Promise<HttpResponse> {
  await opts.bucket.take(init.signal);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        accept: 'application/json, text/plain, */*',
        'user-agent': opts.userAgent ?? 'chainwatch-rekor-collector',
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      signal,
      redirect: 'follow',
    });
  } catch (err) {
    if (timeout.aborted) throw new HttpError('HTTP_TIMEOUT', `request to ${safeUrl(url)} timed out`, { cause: err });
    throw new HttpError('HTTP_UNREACHABLE', `cannot reach ${safeUrl(url)}`, { cause: err });
  }
  const status = res.status;
  if (status < 200 || status >= 300) {
    await res.body?.cancel().catch(() => undefined);
    throw httpStatusError(safeUrl(url), status, res.headers.get('retry-after'));
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBodyBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new HttpError('HTTP_BODY_TOO_LARGE', `${safeUrl(url)}: body of ${declared} bytes exceeds ${opts.maxBodyBytes}`, { status });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > opts.maxBodyBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new HttpError('HTTP_BODY_TOO_LARGE', `${safeUrl(url)}: body exceeds ${opts.maxBodyBytes} bytes`, { status });
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (timeout.aborted) throw new HttpError('HTTP_TIMEOUT', `reading ${safeUrl(url)} timed out`, { cause: err });
    throw new HttpError('HTTP_UNREACHABLE', `connection to ${safeUrl(url)} broke`, { cause: err });
  }
  return { status, body: Buffer.concat(chunks) };
}

/** Parses a JSON body; a non-JSON body is HTTP_BAD_RESPONSE (not retriable). */
export function parseJsonBody(url: string, body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError('HTTP_BAD_RESPONSE', `${safeUrl(url)}: body is not JSON`, { cause: err });
  }
}

/** URL without query string or credentials, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(bad url)';
  }
}
