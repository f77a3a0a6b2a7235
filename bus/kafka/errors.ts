import { BusError, type BusErrorCode, ChainwatchError } from '../../core/index.js';

/**
 * Classifies @platformatic/kafka errors at the edge into BusError with a retriable flag, so
 * core/retry.ts decides from the flag and never from messages. The client's errors carry a `code`
 * (PLT_KFK_*) and a `canRetry` flag; a call that gave up after its own retries, and a broker response
 * with per-partition errors, arrive as an AggregateError (`errors[]`) that we look through.
 */

/** Client codes meaning "the cluster is not reachable right now", whatever canRetry says (timeouts say false). */
const TRANSIENT_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

/** Never worth another try: configuration, credentials or a client/broker mismatch. */
const FINAL_CODES = new Set(['PLT_KFK_AUTHENTICATION', 'PLT_KFK_UNSUPPORTED_API', 'PLT_KFK_UNSUPPORTED', 'PLT_KFK_USER']);

interface KafkaLikeError {
  code?: unknown;
  canRetry?: boolean;
  apiId?: string;
  cause?: unknown;
  errors?: unknown[];
  closed?: boolean;
}

export function isTransientKafkaError(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  if (err instanceof ChainwatchError) return err.retriable;
  const e = err as KafkaLikeError;
  const code = typeof e.code === 'string' ? e.code : '';
  if (FINAL_CODES.has(code)) return false;
  // "produce failed 3 times" (every attempt's error) or a response with per-partition errors:
  // transient only if every inner error is.
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every((inner) => isTransientKafkaError(inner, depth + 1));
  // A closed client's pool (stop() ran) is not coming back; anything else on the network is.
  if (TRANSIENT_CODES.has(code)) return e.closed !== true;
  if (code === 'PLT_KFK_PROTOCOL') return e.canRetry === true;
  if (code.startsWith('PLT_KFK_')) return e.canRetry === true || (e.cause !== undefined && isTransientKafkaError(e.cause, depth + 1));
  // Node socket errors surfacing unwrapped (ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT).
  return /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(code);
}

/** True when some error in the chain is the broker's answer `apiId` (e.g. TOPIC_ALREADY_EXISTS). */
export function hasProtocolError(err: unknown, apiId: string, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const e = err as KafkaLikeError;
  if (e.apiId === apiId) return true;
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => hasProtocolError(inner, apiId, depth + 1));
}

/**
 * Wraps any error from the Kafka client into a BusError: transient ones become BUS_UNAVAILABLE
 * (retriable), the rest take `finalCode` (not retriable). BusErrors pass through unchanged.
 */
export function toBusError(err: unknown, finalCode: BusErrorCode, what: string): BusError {
  if (err instanceof BusError) return err;
  if (isTransientKafkaError(err)) {
    return new BusError('BUS_UNAVAILABLE', `${what}: Kafka unavailable (${errorName(err)})`, { cause: err, retriable: true });
  }
  return new BusError(finalCode, `${what} failed (${errorName(err)})`, { cause: err, retriable: false });
}

function errorName(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err).slice(0, 200);
  const e = err as KafkaLikeError & { name?: string; message?: string };
  const inner = Array.isArray(e.errors) ? e.errors.at(-1) : undefined;
  const code = typeof e.code === 'string' ? ` ${e.code}` : '';
  const api = e.apiId ? ` ${e.apiId}` : '';
  const own = `${e.name ?? 'Error'}${code}${api}: ${String(e.message ?? '').slice(0, 200)}`;
  return inner !== undefined && depthOk(inner) ? `${own} <- ${errorName(inner)}` : own;
}

const depthOk = (inner: unknown): boolean => typeof inner === 'object' && inner !== null && !Array.isArray((inner as KafkaLikeError).errors);
