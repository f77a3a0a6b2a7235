import { ChainwatchError, isRetriable } from './errors.js';

/**
 * The one retry decorator: exponential backoff with full jitter, a cap, an overall deadline and
 * Retry-After. Adapters classify errors at the edge (ChainwatchError.retriable / retryAfterMs);
 * this module never guesses from messages.
 */
export interface RetryPolicy {
  /** Attempts in total, including the first. Infinity retries until the deadline or abort. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Give up once this much time has passed since the first attempt (ms). */
  deadlineMs?: number;
  /** Which errors are worth another try. Default: ChainwatchError.retriable. */
  isRetriable?: (err: unknown) => boolean;
  /** Injected for tests. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 30_000 };

export class RetryError extends ChainwatchError<'RETRY_EXHAUSTED' | 'RETRY_DEADLINE' | 'RETRY_ABORTED'> {
  readonly attempts: number;
  constructor(code: 'RETRY_EXHAUSTED' | 'RETRY_DEADLINE' | 'RETRY_ABORTED', attempts: number, cause: unknown) {
    super(code, `gave up after ${attempts} attempt(s): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.attempts = attempts;
  }
}

/** The reason an AbortSignal carries, as an Error (abort() with no argument gives a DOMException). */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted', { cause: signal.reason });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Delay before attempt n+1 (n >= 1): full jitter over min(cap, base * 2^(n-1)), at least Retry-After. */
export function backoffDelay(policy: RetryPolicy, attempt: number, err?: unknown): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor((policy.random ?? Math.random)() * exp);
  const retryAfter = err instanceof ChainwatchError ? err.retryAfterMs : undefined;
  return retryAfter !== undefined ? Math.max(retryAfter, jittered) : jittered;
}

export async function withRetry<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  policy: RetryPolicy = defaultRetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  const now = policy.now ?? Date.now;
  const doSleep = policy.sleep ?? sleep;
  const retriable = policy.isRetriable ?? isRetriable;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt, signal);
    } catch (err) {
      if (signal?.aborted) throw new RetryError('RETRY_ABORTED', attempt, err);
      if (!retriable(err)) throw err;
      if (attempt >= policy.maxAttempts) throw new RetryError('RETRY_EXHAUSTED', attempt, err);
      const delay = backoffDelay(policy, attempt, err);
      if (policy.deadlineMs !== undefined && now() - started + delay > policy.deadlineMs) {
        throw new RetryError('RETRY_DEADLINE', attempt, err);
      }
      policy.onRetry?.(err, attempt, delay);
      try {
        await doSleep(delay, signal);
      } catch {
        throw new RetryError('RETRY_ABORTED', attempt, err);
      }
    }
  }
}

/** Parses an HTTP Retry-After header (delta-seconds or HTTP-date) into ms; undefined when absent/bad. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
