import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../errors.js';
import { lockDataDir } from './index.js';

describe('the data directory lock', () => {
  it('refuses a second holder with STORAGE_LOCKED (test/daemon/data-dir.test.ts checks the pid it names), and is free again once released', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cw-lock-')), 'data');
    const first = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrowWithCode(StorageError, 'STORAGE_LOCKED');
    first.release();
    first.release(); // idempotent
    const again = lockDataDir(dir);
    again.release();
    // Created owner-only, like everything in the data directory.
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, '.lock')).mode & 0o777).toBe(0o600);
  });
});
