import { describeError } from './errors.js';
import type { StorageMonitor } from './ports/storage.js';
import { backoffDelay, type RetryPolicy, sleep } from './retry.js';

/**
 * Storage faults: failures of the disk under a store rather than of the data written to it. They
 * are infrastructure trouble, so whoever meets one pauses and retries the same write until the
 * storage recovers; it never dead-letters, drops or skips what it was writing (issue 8 item 7).
 *
 *   ENOSPC, EDQUOT                 a full disk or quota (node:fs)
 *   EIO                            the device failed the write (node:fs)
 *   SQLITE_FULL, SQLITE_IOERR_*    the same seen through SQLite (better-sqlite3's SqliteError.code);
 *                                  SQLite rolls the transaction back, so nothing is half-written
 */
const ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EIO']);
const isFaultCode = (code: unknown): code is string => typeof code === 'string' && (ERRNO.has(code) || /^SQLITE_(FULL|IOERR)/.test(code));

/** The storage fault's code (e.g. "SQLITE_FULL"), found anywhere in the cause chain; else undefined. */
export function storageFault(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 10 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (isFaultCode(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Pauses between tries of a write that met a storage fault: 250 ms doubling to 5 s, jittered. */
export const STORAGE_PAUSE: RetryPolicy = { maxAttempts: Infinity, baseDelayMs: 250, maxDelayMs: 5_000 };

/**
 * Runs `write`, reporting the outcome to `monitor` as `store` at `path`: a storage fault is
 * reported and rethrown, a success clears the store's condition. Other errors pass untouched.
 */
export function watchWrite<T>(monitor: StorageMonitor | undefined, store: string, path: string, write: () => T): T {
  let out: T;
  try {
    out = write();
  } catch (err) {
    if (storageFault(err) !== undefined) monitor?.failing(store, path, err);
    throw err;
  }
  monitor?.ok(store);
  return out;
}

/**
 * Calls `fn` until it stops failing with a storage fault (pausing per STORAGE_PAUSE between
 * tries); any other error, and an abort, propagate. For writes that must happen exactly once
 * and in order, where giving up would lose or duplicate something (a delivery's outcome, a
 * checkpoint at an exact size, a bus handler's effect).
 */
export async function untilStorageRecovers<T>(
  fn: () => Promise<T>,
  signal?: AbortSignal,
  onPause?: (err: unknown, pause: number) => void,
  policy: RetryPolicy = STORAGE_PAUSE,
): Promise<T> {
  for (let pause = 1; ; pause++) {
    try {
      return await fn();
    } catch (err) {
      if (signal?.aborted || storageFault(err) === undefined) throw err;
      onPause?.(err, pause);
      await sleep(backoffDelay(policy, pause), signal).catch(() => {
        throw err;
      });
    }
  }
}

/** "SQLITE_FULL" / "ENOSPC" / the error's own code: the reason a store names in readiness and logs. */
export function faultCode(err: unknown): string {
  return storageFault(err) ?? describeError(err).code;
}
