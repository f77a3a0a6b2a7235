import { HttpError, type Secret } from '../../../core/index.js';

/**
 * The search-engine port of the audit store: one REST call in, status and parsed body out.
 * Two adapters, one per official client: OpenSearchJs (@opensearch-project/opensearch) and
 * ElasticsearchJs (@elastic/elasticsearch). The store builds the REST requests itself, so both
 * clients exercise the same wire protocol and the same contract suite.
 *
 * Adapters never retry (maxRetries 0): retries happen only in core/retry.ts withRetry, driven by
 * the HttpError they throw for network trouble (retriable) or the status the store classifies.
 */
export interface SearchRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  path: string;
  querystring?: Record<string, string | number | boolean>;
  body?: unknown;
  /** NDJSON lines for _bulk, already serialised objects. */
  bulkBody?: unknown[];
}

export interface SearchResponse<T = unknown> {
  status: number;
  body: T;
}

export interface SearchTransport {
  /** The adapter's name, after the client it wraps. */
  readonly client: 'opensearch' | 'elasticsearch';
  /** Resolves for every HTTP status; throws HttpError only when no response came back. */
  request<T = unknown>(req: SearchRequest): Promise<SearchResponse<T>>;
  close(): Promise<void>;
}

/** The store's calls over a transport, with its error classification (store.ts), for the helpers it delegates to. */
export interface SearchCalls {
  /** Any status comes back as a value. */
  call(req: SearchRequest): Promise<SearchResponse<unknown>>;
  /** Throws the store's coded AuditError on a non-2xx status. */
  must(req: SearchRequest, what: string): Promise<SearchResponse<unknown>>;
  /** The store's coded AuditError for a response it cannot use. */
  fail(res: SearchResponse, what: string): never;
}

export interface SearchTransportOptions {
  url: string;
  username?: string;
  /** Revealed only by the adapter, into its client's basic auth. */
  password?: Secret;
  requestTimeoutMs?: number;
}

/** HTTP statuses we want back as values, not thrown ResponseErrors. */
export const PASS_THROUGH_STATUSES = [400, 401, 403, 404, 405, 406, 409, 413, 415, 429, 500, 502, 503, 504];

/** Maps a client error without a usable response to a coded, secret-free HttpError. */
export function networkError(err: unknown, what: string): never {
  const e = err as { name?: string; meta?: { statusCode?: number; body?: unknown }; statusCode?: number; body?: unknown };
  const status = e.meta?.statusCode ?? e.statusCode;
  if (typeof status === 'number' && status > 0) {
    const code = status === 429 ? 'HTTP_RATE_LIMITED' : status >= 500 ? 'HTTP_SERVER_ERROR' : 'HTTP_CLIENT_ERROR';
    throw new HttpError(code, `${what}: HTTP ${status}`, { status, cause: err });
  }
  if (e.name === 'TimeoutError') throw new HttpError('HTTP_TIMEOUT', `${what}: timed out`, { cause: err });
  throw new HttpError('HTTP_UNREACHABLE', `${what}: ${e.name ?? 'network error'}`, { cause: err });
}
