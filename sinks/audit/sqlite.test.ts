import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from './port.js';
import { searchKey, SqliteAuditStore } from './sqlite.js';
import { auditStoreContract, sampleEntries } from './testing/contract.js';
import { generateKeyPairSync } from 'node:crypto';
import { keyObjectSigner } from '../../core/index.js';
import { checkpointKeyFrom, signCheckpoint } from './checkpoint.js';
import { verifyAuditTrail } from './verify.js';
import { AuditError } from './errors.js';
import { parseVerifierKey } from '../../core/tlog/index.js';
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
    plantNode: (l, i) => sqliteTamperer(path).plantNode(l, i),
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

  it('answers lookups through 32-bit search keys exactly, even when two values share a key', async () => {
    // Birthday search for two digests with the same FNV-1a key (~2^16 tries).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const v = `sha256:${i.toString(16).padStart(64, '0')}`;
      const other = seen.get(searchKey(v));
      if (other) pair = [other, v];
      else seen.set(searchKey(v), v);
    }
    const [a, b] = pair;
    const entry = (id: string, subject: string, digest: string, identity?: string): AuditEntry => ({
      kind: 'event',
      id,
      type: 'dev.chainwatch.test.v1',
      time: '2026-01-01T00:00:00.000Z',
      subject,
      digest,
      ...(identity ? { identity } : {}),
      payload: {},
    });
    const s = new SqliteAuditStore({ path: join(mkdtempSync(join(tmpdir(), 'cw-audit-keys-')), 'a.db') });
    await s.open();
    await s.append([entry(a, a, a, a), entry(b, b, b, b), entry('c', 'not-a-digest', a), entry('d', 'other', b, b)]);
    const ids = async (q: Parameters<SqliteAuditStore['query']>[0]) => (await s.query(q)).records.map((r) => r.id);
    expect(await ids({ subject: a })).toEqual([a]);
    expect(await ids({ subject: b })).toEqual([b]);
    expect(await ids({ digest: a })).toEqual([a, 'c']);
    expect(await ids({ digest: b, order: 'desc' })).toEqual(['d', b]);
    expect(await ids({ identity: b })).toEqual([b, 'd']);
    expect((await s.get({ id: b }))?.index).toBe(1);
    expect((await s.get({ id: a }))?.index).toBe(0);
    await s.close();
  });

  it('verify detects a rewritten search key that hides a record from queries', async () => {
    const key = checkpointKeyFrom('chainwatch.audit/test', keyObjectSigner(generateKeyPairSync('ed25519').privateKey));
    for (const [col, q] of [
      ['subject_key', (r: AuditEntry) => ({ subject: r.subject! })],
      ['identity_key', (r: AuditEntry) => ({ identity: r.identity! })],
      ['id_key', undefined],
    ] as const) {
      const p = join(mkdtempSync(join(tmpdir(), 'cw-audit-key-tamper-')), 'a.db');
      const s = new SqliteAuditStore({ path: p });
      await s.open();
      const entries = sampleEntries(12);
      await s.append(entries);
      await signCheckpoint(s, key, new Date());
      await s.close();
      const target = 9; // has a subject, an identity and an id
      const raw = new Database(p);
      const triggers = raw.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as { name: string; sql: string }[];
      for (const t of triggers) raw.exec(`DROP TRIGGER ${t.name}`);
      raw.prepare(`UPDATE audit_fields SET ${col} = ${col} + 1 WHERE idx = ?`).run(target);
      for (const t of triggers) raw.exec(t.sql);
      raw.close();
      const s2 = new SqliteAuditStore({ path: p });
      await s2.open();
      if (q)
        expect((await s2.query(q(entries[target]!))).records.map((r) => r.index)).not.toContain(target); // the query now lies
      else expect(await s2.get({ id: entries[target]!.id })).toBeUndefined();
      const report = await verifyAuditTrail(s2, key.verifier);
      await s2.close();
      expect(report.problem, col).toMatchObject({ code: 'RECORD_FIELDS_MISMATCH', index: target });
    }
  });

  it('refuses a database with the old one-table layout instead of mixing layouts', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'cw-audit-old-')), 'a.db');
    const raw = new Database(p);
    raw.exec('CREATE TABLE audit_records (idx INTEGER PRIMARY KEY, id TEXT NOT NULL, subject TEXT, body TEXT NOT NULL, leaf_hash BLOB NOT NULL)');
    raw.close();
    const err = await new SqliteAuditStore({ path: p }).open().then(
      () => expect.unreachable('the old layout must be refused'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).code).toBe('AUDIT_STORE_UNAVAILABLE');
    // Permanent: the supervisor must not retry it forever, and the file is left as it was.
    expect((err as AuditError).retriable).toBe(false);
    const after = new Database(p);
    expect(after.pragma('user_version', { simple: true })).toBe(0);
    expect(after.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'audit_fields'").pluck().get()).toBe(0);
    after.close();
  });

  it('opens a trail written before schema versions (testdata/trail-v0, old code) without loss; it still verifies and grows', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cw-audit-v0-'));
    cpSync(join(import.meta.dirname, 'testdata', 'trail-v0'), d, { recursive: true });
    const s = new SqliteAuditStore({ path: join(d, 'audit.db') });
    await s.open();
    try {
      expect(s.database.pragma('user_version', { simple: true })).toBe(2); // migrated: the index-range triggers
      const vkey = parseVerifierKey(readFileSync(join(d, 'checkpoint-key.vkey'), 'utf8').trim());
      expect(await verifyAuditTrail(s, vkey)).toMatchObject({ ok: true, records: 38, checkpoints: 3, latest: { size: 38 } });
      expect(await s.get({ index: 32 })).toMatchObject({ kind: 'operator', index: 32 });
      await s.append(sampleEntries(2, 100));
      expect(await verifyAuditTrail(s, vkey)).toMatchObject({ ok: true, records: 40, checkpoints: 3 });
    } finally {
      await s.close();
    }
  });
});
