import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from './sqlite-state-store.js';

describe('SqliteStateStore', () => {
  it('persists values across reopen, lists by prefix, deletes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-state-')), 'state.db');
    const a = new SqliteStateStore(path);
    await a.put('rekor:x:cursor', { verified: 10, fetched: 12 });
    await a.put('rekor:y:cursor', { verified: 1 });
    await a.put('other', 1);
    a.close();
    const b = new SqliteStateStore(path);
    expect(await b.get('rekor:x:cursor')).toEqual({ verified: 10, fetched: 12 });
    expect(await b.list('rekor:')).toEqual(['rekor:x:cursor', 'rekor:y:cursor']);
    await b.delete('rekor:y:cursor');
    expect(await b.get('rekor:y:cursor')).toBeUndefined();
    expect(await b.list('rekor:')).toEqual(['rekor:x:cursor']);
    b.close();
  });
});
