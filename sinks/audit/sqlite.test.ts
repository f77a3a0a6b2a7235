import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteAuditStore } from './sqlite.js';
import { auditStoreContract, sampleEntries } from './testing/contract.js';
import { sqliteTamperer } from './testing/sqlite-tamper.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-audit-sqlite-'));
let n = 0;
let path = join(dir, 'audit-0.db');

auditStoreContract('sqlite', async () => ({
  open: async () => {
    const s = new SqliteAuditStore({ path });
    await s.open();
    return s;
  },
  // The tamperer follows `path`, which reset() moves to a new empty file.
  tamper: {
    editBody: (i, e, r) => sqliteTamperer(path).editBody(i, e, r),
    deleteRecord: (i) => sqliteTamperer(path).deleteRecord(i),
    swap: (a, b) => sqliteTamperer(path).swap(a, b),
  },
  reset: async () => {
    path = join(dir, `audit-${++n}.db`);
  },
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
}));

describe('SqliteAuditStore append-only guards', () => {
  it('refuses UPDATE and DELETE on records, nodes and checkpoints through SQL', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'cw-audit-guard-')), 'a.db');
    const s = new SqliteAuditStore({ path: p });
    await s.open();
    await s.append(sampleEntries(20));
    const db = new Database(p);
    const codeOf = (sql: string): string | undefined => {
      const st = db.prepare(sql);
      try {
        st.run();
        return undefined;
      } catch (err) {
        return (err as { code?: string }).code;
      }
    };
    expect(codeOf("UPDATE audit_records SET body = '{}' WHERE idx = 1")).toBe('SQLITE_CONSTRAINT_TRIGGER');
    expect(codeOf('DELETE FROM audit_records WHERE idx = 1')).toBe('SQLITE_CONSTRAINT_TRIGGER');
    expect(codeOf('DELETE FROM audit_nodes')).toBe('SQLITE_CONSTRAINT_TRIGGER');
    db.close();
    await s.close();
  });

  it('lets a second process append (a CLI note while the daemon runs) without index clashes', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'cw-audit-2w-')), 'a.db');
    const daemon = new SqliteAuditStore({ path: p });
    const cli = new SqliteAuditStore({ path: p });
    await daemon.open();
    await cli.open();
    await daemon.append(sampleEntries(5));
    await cli.append(sampleEntries(2, 5));
    const [r] = await daemon.append(sampleEntries(1, 7));
    expect(r!.index).toBe(7);
    expect(await daemon.size()).toBe(8);
    await daemon.close();
    await cli.close();
  });
});
