import { ChainwatchError } from '../../../core/index.js';

/**
 * Cluster watch failures:
 *   K8S_UNREACHABLE      the API server did not answer (network, TLS, 5xx): retried with backoff
 *   K8S_UNAUTHORIZED     401/403: the token or RBAC does not allow list/watch (not retried quickly)
 *   K8S_GONE             410 Gone: the resourceVersion is compacted; the stream relists
 *   K8S_BAD_RESPONSE     an answer that is not a list / watch event of the expected shape
 *   K8S_CONFIG_INVALID   a cluster entry that cannot be turned into a client (kubeconfig unreadable)
 */
export type K8sWatchErrorCode = 'K8S_UNREACHABLE' | 'K8S_UNAUTHORIZED' | 'K8S_GONE' | 'K8S_BAD_RESPONSE' | 'K8S_CONFIG_INVALID';

export class K8sWatchError extends ChainwatchError<K8sWatchErrorCode> {}

/** Classifies a failure of the client library (its errors carry `code` or `statusCode`). */
export function classify(err: unknown, what: string): K8sWatchError {
  if (err instanceof K8sWatchError) return err;
  const status = statusOf(err);
  if (status === 410) return new K8sWatchError('K8S_GONE', `${what}: 410 Gone (resourceVersion compacted)`, { cause: err });
  if (status === 401 || status === 403) return new K8sWatchError('K8S_UNAUTHORIZED', `${what}: HTTP ${status}`, { cause: err });
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429)
    return new K8sWatchError('K8S_BAD_RESPONSE', `${what}: HTTP ${status}`, { cause: err });
  return new K8sWatchError('K8S_UNREACHABLE', `${what}: ${status === undefined ? 'no answer' : `HTTP ${status}`}`, { cause: err, retriable: true });
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}
