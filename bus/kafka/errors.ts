import { BusError, type BusErrorCode, ChainwatchError } from '../../core/index.js';

/**
 * Classifies kafkajs errors at the edge into BusError with a retriable flag, so core/retry.ts
 * decides from the flag and never from messages. kafkajs wraps the error that mattered
 * (NumberOfRetriesExceeded -> cause, AggregateError -> errors[]); we look through the wrappers.
 */

/** kafkajs errors that mean "the cluster is not reachable right now" even where kafkajs marks them final. */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

/** Never worth another try: configuration or data problems. */
const FINAL_NAMES = new Set(['KafkaJSSASLAuthenticationError', 'KafkaJSServerDoesNotSupportApiKey', 'KafkaJSInvariantViolation']);

interface KafkaLikeError {
  name?: string;
  retriable?: boolean;
  cause?: unknown;
  errors?: unknown[];
  type?: string;
}

export function isTransientKafkaError(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  if (err instanceof ChainwatchError) return err.retriable;
  const e = err as KafkaLikeError;
  const name = e.name ?? '';
  if (FINAL_NAMES.has(name)) return false;
  if (name === 'KafkaJSNumberOfRetriesExceeded') return isTransientKafkaError(e.cause, depth + 1);
  if (name === 'KafkaJSAggregateError' && Array.isArray(e.errors) && e.errors.length > 0) {
    return e.errors.every((inner) => isTransientKafkaError(inner, depth + 1));
  }
  if (TRANSIENT_NAMES.has(name)) return true;
  if (name.startsWith('KafkaJS')) return e.retriable === true || (e.cause !== undefined && isTransientKafkaError(e.cause, depth + 1));
  // Node socket errors surfacing unwrapped (ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT).
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(code);
}

/**
 * Wraps any error from kafkajs into a BusError: transient ones become BUS_UNAVAILABLE (retriable),
 * the rest take `finalCode` (not retriable). BusErrors pass through unchanged.
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
  const e = err as KafkaLikeError & { message?: string };
  return `${e.name ?? 'Error'}${e.type ? ` ${e.type}` : ''}: ${String(e.message ?? '').slice(0, 200)}`;
}
