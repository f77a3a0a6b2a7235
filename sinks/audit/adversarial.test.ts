import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keyObjectSigner } from '../../core/index.js';
import { checkpointKeyFrom, signCheckpoint } from './checkpoint.js';
import { getRecordWithProof } from './proof.js';
import { SqliteAuditStore } from './sqlite.js';
import { sampleEntries } from './testing/contract.js';
import { sqliteTamperer } from './testing/sqlite-tamper.js';
import { verifyAuditTrail, type VerifyOptions } from './verify.js';

/**
 * What someone with write access to audit.db (and not the key) can do, and what `audit verify`
 * must say about it: deleting checkpoints, dropping the tail with the checkpoints over it, and
 * forging rows outside [0, size).
 */
const key = checkpointKeyFrom('chainwatch.audit/test', keyObjectSigner(generateKeyPairSync('ed25519').privateKey));
const T0 = Date.parse('2026-01-01T00:00:00Z');
const cadence: VerifyOptions['cadence'] = { every: 1000, maxBatch: 500, intervalMs: 60_000 };

/** A trail of `n` records written by a daemon (checkpoint every 1000 records), recorded at T0. */
async function trail(n: number, cps = [1000, 2000]): Promise<{ path: string; reopen: () => Promise<SqliteAuditStore> }> {
  const path = join(mkdtempSync(join(tmpdir(), 'cw-audit-adv-')), 'audit.db');
  const s = new SqliteAuditStore({ path, now: () => new Date(T0) });
  await s.open();
  for (let at = 0; at < n; at += 250) {
    await s.append(sampleEntries(Math.min(250, n - at), at));
    if (cps.includes(await s.size())) await signCheckpoint(s, key, new Date(T0));
  }
  await signCheckpoint(s, key, new Date(T0)); // the final flush at stop
  await s.close();
  const reopen = async () => {
    const r = new SqliteAuditStore({ path });
    await r.open();
    return r;
  };
  return { path, reopen };
}

async function verified(t: { reopen: () => Promise<SqliteAuditStore> }, now = T0 + 1000) {
  const s = await t.reopen();
  try {
    return await verifyAuditTrail(s, key.verifier, { cadence, now: new Date(now) });
  } finally {
    await s.close();
  }
}

describe('audit verify against an attacker with write access to the store', () => {
  it('an intact trail verifies', async () => {
    expect(await verified(await trail(2501))).toMatchObject({ ok: true, verdict: 'intact', records: 2501, checkpoints: 3 });
  });

  it('deleting every checkpoint leaves the whole trail unsigned: unverifiable, naming the range', async () => {
    const t = await trail(2501);
    await sqliteTamperer(t.path).deleteCheckpoints();
    const r = await verified(t);
    expect(r).toMatchObject({ ok: false, verdict: 'unverifiable', unsigned: { from: 0, to: 2500 } });
    expect(r.problem).toMatchObject({ code: 'UNSIGNED_RANGE', index: 0 });
  });

  it('deleting checkpoints in the middle leaves a gap the cadence cannot account for', async () => {
    const t = await trail(2501);
    await sqliteTamperer(t.path).deleteCheckpoints(1001); // 2000 and 2501 gone
    await (async () => {
      const s = await t.reopen();
      await signCheckpoint(s, key, new Date(T0)); // e.g. the key holder later signs 2501 again
      await s.close();
    })();
    const r = await verified(t);
    expect(r).toMatchObject({ ok: false, verdict: 'unverifiable' });
    expect(r.problem).toMatchObject({ code: 'CHECKPOINT_MISSING', index: 1000, checkpointSize: 2501 });
  });

  it('dropping the tail and the checkpoint over it leaves an unsigned range older than the interval', async () => {
    const t = await trail(2501);
    const tamper = sqliteTamperer(t.path);
    await tamper.deleteCheckpoints(2001);
    for (let i = 2500; i >= 2400; i--) await tamper.deleteRecord(i);
    // Tree nodes over the dropped records would betray it (ROW_CENSUS_MISMATCH); a careful attacker drops them too.
    await tamper.exec('DELETE FROM audit_nodes WHERE (idx + 1) * (1 << level) > 2400');
    const r = await verified(t, T0 + 10 * 60_000);
    expect(r).toMatchObject({ ok: false, verdict: 'unverifiable', unsigned: { from: 2000, to: 2399 } });
    expect(r.problem).toMatchObject({ code: 'UNSIGNED_RANGE', index: 2000 });
  });

  it('a recent unsigned tail within the cadence is intact, and reported', async () => {
    const t = await trail(2100, [1000, 2000, 9999]);
    const s = await t.reopen();
    await s.append(sampleEntries(10, 2100));
    await s.close();
    const r = await verified(t, Date.now());
    expect(r).toMatchObject({ ok: true, verdict: 'intact', unsigned: { from: 2100, to: 2109 } });
  });

  it('a row forged at a negative index is found by verify, and no read serves it', async () => {
    const t = await trail(30, []);
    await sqliteTamperer(t.path).copyRecord(5, -1);
    const r = await verified(t);
    expect(r).toMatchObject({ ok: false, verdict: 'broken' });
    expect(r.problem).toMatchObject({ code: 'RECORD_OUT_OF_RANGE', index: -1 });
    const s = await t.reopen();
    try {
      expect(await s.get({ index: -1 })).toBeUndefined();
      expect((await s.get({ id: 'ev-5' }))?.index).toBe(5);
      expect((await s.query({ limit: 100 })).records.map((x) => x.index)).not.toContain(-1);
      expect((await getRecordWithProof(s, { id: 'ev-5' }))?.index).toBe(5);
    } finally {
      await s.close();
    }
  });

  it('a row forged past the end is found by verify, not taken for an unreachable store', async () => {
    // Opening the store must not depend on tree nodes for a size an attacker can inflate by one
    // row at a high index (the walk then names the first missing position).
    const t = await trail(30, []);
    await sqliteTamperer(t.path).copyRecord(5, 1000);
    const s = new SqliteAuditStore({ path: t.path, create: false }); // as the CLI's read-only commands open it
    await s.open();
    const r = await verifyAuditTrail(s, key.verifier, { cadence, now: new Date(T0 + 1000) }).finally(() => s.close());
    expect(r).toMatchObject({ ok: false, verdict: 'broken' });
    expect(r.problem).toMatchObject({ code: 'RECORD_MISSING', index: 30 });
  });

  // The walk reads only the rows it asks for: a forged extra row anywhere else must be counted.
  it.each([
    [
      'fields',
      'INSERT INTO audit_fields SELECT 9999, id, kind, type, time, subject, digest, identity, severity, topic, partition, bus_offset, id_key, subject_key, digest_key, identity_key FROM audit_fields WHERE idx = 5',
    ],
    ['nodes level 4', 'INSERT INTO audit_nodes (level, idx, hash) VALUES (4, 500, zeroblob(32))'],
    ['nodes level 3', 'INSERT INTO audit_nodes (level, idx, hash) VALUES (3, 0, zeroblob(32))'],
    ['nodes level 4', 'INSERT INTO audit_nodes (level, idx, hash) VALUES (4, -1, zeroblob(32))'],
  ])('an extra row in %s is a census mismatch: broken, naming the table', async (table, sql) => {
    const t = await trail(2501);
    await sqliteTamperer(t.path).exec(sql);
    const r = await verified(t);
    expect(r).toMatchObject({ ok: false, verdict: 'broken' });
    expect(r.problem).toMatchObject({ code: 'ROW_CENSUS_MISMATCH' });
    expect(r.problem?.detail).toContain(`table ${table}:`);
  });

  it('the census of an intact store matches the verified size', async () => {
    const t = await trail(2501);
    const s = await t.reopen();
    try {
      expect(await s.census()).toEqual([
        { table: 'records', count: 2501, min: 0, max: 2500 },
        { table: 'fields', count: 2501, min: 0, max: 2500 },
        { table: 'nodes', level: 4, count: 156, min: 0, max: 155 },
        { table: 'nodes', level: 8, count: 9, min: 0, max: 8 },
        { table: 'checkpoints', count: 3, min: 1000, max: 2501 },
      ]);
    } finally {
      await s.close();
    }
  });

  it('the store refuses to write a row outside [0, size) through SQL', async () => {
    const t = await trail(3, []);
    const db = new Database(t.path);
    try {
      expect(() => db.prepare("INSERT INTO audit_records (idx, body, leaf_hash) VALUES (-1, '{}', x'00')").run()).toThrow(/index/);
    } finally {
      db.close();
    }
  });
});
