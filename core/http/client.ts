import { HttpError } from '../errors.js';
import { httpStatusError } from './status.js';
import type { TokenBucket } from './token-bucket.js';
import { nodeTransport } from './node-transport.js';
import { fetchTransport, type Transport, type Wire } from './transport.js';

/**
 * The one HTTP client of chainwatch (collectors and sink adapters alike). It classifies at the
 * edge into HttpError (network failures, 408, 429 and 5xx retriable with Retry-After kept; other
 * statuses, oversized and non-JSON bodies not), and never retries: callers wrap it in
 * core/retry.ts withRetry or let the alert pipeline's outbox retry.
 *
 * Messages and causes name the peer (`peer`), never the URL: sink URLs carry tokens in their path
 * or query (Slack webhooks, PagerDuty routing keys), and undici puts the URL into some of its
 * errors, so causes are reduced to their error name and code. The transport is node:http
 * (node-transport.ts: lighter than fetch per exchange), or a fetch function a test scripts.
 */
export type RedirectPolicy = 'follow' | 'refuse';

export interface HttpClientOptions {
  /** Names the peer in messages: "sink soc", "https://rekor.sigstore.dev". Never a URL with credentials, path tokens or a query. */
  peer: string;
  /** Per-request timeout (ms), from the request until the last body byte; absent: only the caller's signal bounds a request. */
  timeoutMs?: number | undefined;
  /** Largest 2xx response body read (bytes); larger ones fail with HTTP_BODY_TOO_LARGE. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /** Shared by every request of this client; a request waits for a token before it is sent. */
  rateLimit?: TokenBucket | undefined;
  /**
   * `refuse` (default): a 3xx is a non-retriable HTTP_CLIENT_ERROR, because following would send
   * credentials to wherever the peer points and the operator should configure the final URL.
   * `follow`: redirects are followed (public read-only APIs behind a CDN).
   */
  redirect?: RedirectPolicy | undefined;
  /** Headers sent with every request (user-agent, accept); a request's own headers win. */
  headers?: Record<string, string> | undefined;
  /** Test double (a scripted Response); undefined means node:http (node-transport.ts). */
  fetch?: typeof fetch | undefined;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  url: string;
  method?: HttpMethod;
  headers?: Record<string, string>;
  /**
   * A string or bytes are sent as they are (signatures are computed over these exact bytes);
   * anything else is JSON-encoded. A body is `application/json` unless the headers say otherwise.
   */
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Overrides the client's maxBodyBytes for this request. */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The body; of a non-2xx response only its first ERROR_BODY_BYTES (enough to explain a refusal). */
  body: Buffer;
  /** The body as UTF-8. */
  readonly text: string;
  /** The body parsed as JSON; HTTP_BAD_RESPONSE when it is not JSON. */
  json<T = unknown>(): T;
}

/** How much of a non-2xx body is kept: the peer's reason, not a page of HTML. */
export const ERROR_BODY_BYTES = 4096;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export class HttpClient {
  readonly peer: string;
  private readonly transport: Transport;
  constructor(private readonly opts: HttpClientOptions) {
    this.peer = opts.peer;
    this.transport = opts.fetch ? fetchTransport(opts.fetch) : nodeTransport;
  }

  /** Sends one request and returns a 2xx response; any other status throws its classified HttpError. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.exchange(req);
    if (res.status >= 200 && res.status < 300) return res;
    throw this.statusError(res);
  }

  /**
   * Sends one request and returns the response whatever its status (for callers that explain or
   * reclassify a refusal, or for whom a status is an answer). Network failures, timeouts and
   * oversized 2xx bodies still throw.
   */
  async exchange(req: HttpRequest): Promise<HttpResponse> {
    const { peer } = this.opts;
    await this.opts.rateLimit?.take(req.signal);
    // A plain object with lower-case names, so a request's header replaces a default of any case.
    const headers: Record<string, string> = {};
    const body = encodeBody(req.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.headers) for (const k in this.opts.headers) headers[k.toLowerCase()] = this.opts.headers[k]!;
    if (req.headers) for (const k in req.headers) headers[k.toLowerCase()] = req.headers[k]!;
    const sent = this.transport(req.url, {
      method: req.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      signal: req.signal,
      timeoutMs: this.opts.timeoutMs,
      redirect: this.opts.redirect === 'follow' ? 'follow' : 'manual',
    });
    // The caller's signal may carry the timeout too (the alert pipeline bounds each delivery).
    const timedOut = (): boolean => sent.timedOut() || (req.signal?.aborted === true && isTimeoutReason(req.signal.reason));
    let res: Wire;
    try {
      res = await sent.response;
    } catch (err) {
      const t = timedOut();
      throw new HttpError(t ? 'HTTP_TIMEOUT' : 'HTTP_UNREACHABLE', `${peer}: ${t ? 'timed out' : 'request failed'} (${errorName(err)})`, { cause: scrub(err) });
    }
    const ok = res.status >= 200 && res.status < 300;
    let bytes: Buffer;
    try {
      bytes = ok
        ? await res.read(req.maxBodyBytes ?? this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'cap', peer)
        : await res.read(ERROR_BODY_BYTES, 'head', peer);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      // The connection broke (or the attempt timed out) while the body was read: as retriable as
      // a failure before the status line.
      const t = timedOut();
      throw new HttpError(t ? 'HTTP_TIMEOUT' : 'HTTP_UNREACHABLE', `${peer}: ${t ? 'timed out' : 'connection lost'} reading the response (${errorName(err)})`, {
        status: res.status,
        cause: scrub(err),
      });
    }
    return new Reply(res, bytes, peer);
  }

  /** The classified error of a non-2xx response (exported for callers of exchange()). */
  statusError(res: Pick<HttpResponse, 'status' | 'headers'>): HttpError {
    return httpStatusError(this.opts.peer, res.status, res.headers.get('retry-after'));
  }
}

class Reply implements HttpResponse {
  #text: string | undefined;
  readonly status: number;
  constructor(
    private readonly wire: Wire,
    readonly body: Buffer,
    private readonly peer: string,
  ) {
    this.status = wire.status;
  }
  get headers(): Headers {
    return this.wire.headers;
  }
  get text(): string {
    return (this.#text ??= this.body.toString('utf8'));
  }
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text) as T;
    } catch (err) {
      // JSON.parse quotes the text it choked on, and a peer may echo what we sent.
      throw new HttpError('HTTP_BAD_RESPONSE', `${this.peer}: response is not JSON`, { status: this.status, cause: scrub(err) });
    }
  }
}

function encodeBody(body: unknown): string | Uint8Array | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return JSON.stringify(body);
}

function isTimeoutReason(reason: unknown): boolean {
  return (reason as Error | undefined)?.name === 'TimeoutError';
}

function errorName(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  // node:net errors carry their code themselves (ECONNREFUSED, ECONNRESET).
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'Error';
}

/** A cause with only the error's name and code: undici and JSON.parse put URLs and body text into messages. */
function scrub(err: unknown): Error {
  const e = new Error(errorName(err));
  e.name = err instanceof Error ? err.name : 'Error';
  return e;
}
