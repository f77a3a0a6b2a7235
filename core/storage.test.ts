import { describe, expect, it } from 'vitest';
import { HandlerError, StorageError } from './errors.js';
import { storageFault, untilStorageRecovers, watchWrite } from './storage.js';
import { RecordingStorageMonitor, sqliteFullError } from './testing/index.js';

const errno = (code: string): Error => Object.assign(new Error(code), { code });

describe('storageFault', () => {
  it('finds a full disk or an I/O error anywhere in the cause chain, from node:fs and from SQLite', () => {
    expect(storageFault(sqliteFullError())).toBe('SQLITE_FULL');
    expect(storageFault(errno('ENOSPC'))).toBe('ENOSPC');
    expect(storageFault(errno('EDQUOT'))).toBe('EDQUOT');
    expect(storageFault(errno('SQLITE_IOERR_WRITE'))).toBe('SQLITE_IOERR_WRITE');
    const wrapped = new HandlerError('HANDLER_FAILED', 'x', { cause: new StorageError('STORAGE_OPEN_FAILED', 'y', { cause: errno('EIO') }) });
    expect(storageFault(wrapped)).toBe('EIO');
  });

  it('does not take bad data, constraint violations or busy databases for storage faults', () => {
    for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_BUSY', 'SQLITE_CORRUPT', 'EACCES', 'EVENT_TOO_LARGE'])
      expect(storageFault(errno(code))).toBeUndefined();
    expect(storageFault('ENOSPC')).toBeUndefined();
    expect(storageFault(undefined)).toBeUndefined();
  });
});

describe('watchWrite', () => {
  it('reports a storage fault and rethrows it, clears it on the next success, and leaves other errors alone', () => {
    const m = new RecordingStorageMonitor();
    const full = sqliteFullError();
    expect(() =>
      watchWrite(m, 'alerts', '/d/alerts.sqlite', () => {
        throw full;
      }),
    ).toThrow(full);
    expect(() =>
      watchWrite(m, 'alerts', '/d/alerts.sqlite', () => {
        throw new Error('bad row');
      }),
    ).toThrow('bad row');
    expect(watchWrite(m, 'alerts', '/d/alerts.sqlite', () => 7)).toBe(7);
    expect(m.events).toEqual(['failing alerts SQLITE_FULL', 'ok alerts']);
  });
});

describe('untilStorageRecovers', () => {
  it('retries a write through storage faults until it succeeds, and passes other errors and aborts through', async () => {
    let n = 0;
    const pauses: number[] = [];
    const fast = { maxAttempts: Infinity, baseDelayMs: 1, maxDelayMs: 2 };
    await expect(
      untilStorageRecovers(
        async () => {
          if (++n < 4) throw errno('ENOSPC');
          return 'written';
        },
        undefined,
        (_e, p) => pauses.push(p),
        fast,
      ),
    ).resolves.toBe('written');
    expect(pauses).toEqual([1, 2, 3]);
    await expect(
      untilStorageRecovers(async () => {
        throw new Error('not the disk');
      }),
    ).rejects.toThrow('not the disk');
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    await expect(
      untilStorageRecovers(async () => {
        throw errno('ENOSPC');
      }, stop.signal),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
  });
});
