import { HttpError } from '../errors.js';
import { parseRetryAfter } from '../retry.js';

/**
 * The one table that classifies a non-2xx HTTP status at the edge: 429 rate limited, 408 timeout,
 * 5xx server error (all retriable, Retry-After kept), anything else a non-retriable client error.
 * `where` names the peer for the message (a sink name or a URL without credentials, never a
 * URL that may carry a token).
 */
export function httpStatusError(where: string, status: number, retryAfter?: string | null): HttpError {
  const retryAfterMs = parseRetryAfter(retryAfter);
  const opts = { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (status === 429) return new HttpError('HTTP_RATE_LIMITED', `${where}: rate limited (429)`, opts);
  if (status === 408) return new HttpError('HTTP_TIMEOUT', `${where}: request timeout (408)`, opts);
  if (status >= 500) return new HttpError('HTTP_SERVER_ERROR', `${where}: server error (${status})`, opts);
  if (status >= 300 && status < 400) return new HttpError('HTTP_CLIENT_ERROR', `${where}: unexpected redirect (${status}); configure the final URL`, opts);
  return new HttpError('HTTP_CLIENT_ERROR', `${where}: rejected (${status})`, opts);
}
