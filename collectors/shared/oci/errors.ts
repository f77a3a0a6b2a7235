import { ChainwatchError, HttpError } from '../../../core/index.js';

/**
 * What can go wrong talking to an OCI distribution registry. Retriable: the registry is down, slow,
 * rate limiting or failing (OCI_UNREACHABLE, OCI_RATE_LIMITED, OCI_SERVER_ERROR); everything else is
 * an answer (not found, denied) or the registry's fault in a way retrying will not fix.
 */
export type OciErrorCode =
  | 'OCI_NOT_FOUND'
  | 'OCI_UNAUTHORIZED'
  | 'OCI_DENIED'
  | 'OCI_RATE_LIMITED'
  | 'OCI_SERVER_ERROR'
  | 'OCI_UNREACHABLE'
  | 'OCI_TOO_LARGE'
  | 'OCI_DIGEST_MISMATCH'
  | 'OCI_BAD_RESPONSE'
  | 'OCI_BAD_REFERENCE'
  | 'OCI_INSECURE_REFUSED';

const RETRIABLE: ReadonlySet<OciErrorCode> = new Set(['OCI_RATE_LIMITED', 'OCI_SERVER_ERROR', 'OCI_UNREACHABLE']);

export class OciError extends ChainwatchError<OciErrorCode> {
  readonly status: number | undefined;
  constructor(code: OciErrorCode, message: string, opts: { cause?: unknown; status?: number; retryAfterMs?: number } = {}) {
    super(code, message, {
      cause: opts.cause,
      retriable: RETRIABLE.has(code),
      ...(opts.retryAfterMs !== undefined ? { retryAfterMs: opts.retryAfterMs } : {}),
    });
    this.status = opts.status;
  }
}

/** Maps core/http's classification onto OCI codes (the retriable ones keep their Retry-After). */
export function fromHttpError(err: HttpError, what: string): OciError {
  const opts = {
    cause: err,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
  };
  switch (err.code) {
    case 'HTTP_UNREACHABLE':
    case 'HTTP_TIMEOUT':
      return new OciError('OCI_UNREACHABLE', `${what}: ${err.message}`, opts);
    case 'HTTP_RATE_LIMITED':
      return new OciError('OCI_RATE_LIMITED', `${what}: ${err.message}`, opts);
    case 'HTTP_SERVER_ERROR':
      return new OciError('OCI_SERVER_ERROR', `${what}: ${err.message}`, opts);
    case 'HTTP_BODY_TOO_LARGE':
      return new OciError('OCI_TOO_LARGE', `${what}: ${err.message}`, opts);
    case 'HTTP_BAD_RESPONSE':
      return new OciError('OCI_BAD_RESPONSE', `${what}: ${err.message}`, opts);
    case 'HTTP_CLIENT_ERROR':
      return statusError(err.status ?? 0, what, err);
  }
}

/** A non-2xx status of the registry as an OciError (404 not found, 401 unauthorized, 403 denied). */
export function statusError(status: number, what: string, cause?: unknown, retryAfterMs?: number): OciError {
  const opts = { status, ...(cause !== undefined ? { cause } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (status === 404) return new OciError('OCI_NOT_FOUND', `${what}: not found (404)`, opts);
  if (status === 401) return new OciError('OCI_UNAUTHORIZED', `${what}: unauthorized (401)`, opts);
  if (status === 403) return new OciError('OCI_DENIED', `${what}: denied (403)`, opts);
  if (status === 429) return new OciError('OCI_RATE_LIMITED', `${what}: rate limited (429)`, opts);
  if (status === 408 || status >= 500) return new OciError('OCI_SERVER_ERROR', `${what}: server error (${status})`, opts);
  return new OciError('OCI_BAD_RESPONSE', `${what}: unexpected status ${status}`, opts);
}
