import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TreeBuilder } from '../../core/tlog/index.js';
import { keyObjectSigner } from '../../core/index.js';
import { checkpointKeyFrom, signCheckpoint } from './checkpoint.js';
import type { AuditStore, StoredRow } from './port.js';
import { AppendPlanner } from './record.js';
import { SqliteAuditStore } from './sqlite.js';
import { sampleEntries } from './testing/contract.js';
import { verifyAuditTrail } from './verify.js';

/**
 * A search backend (OpenSearch) can hold two documents for one position: _id is unique per
 * monthly index only, so a forged document in another `chainwatch-audit-*` index shows up in
 * scans and queries next to the real one (ties sorted arbitrarily; here the real one first).
 */
function withForgedTwin(store: SqliteAuditStore, at: number): AuditStore {
  const [forged] = new AppendPlanner(TreeBuilder.empty()).prepare(sampleEntries(1, 900), new Date()).records;
  const twin: StoredRow = { position: at, body: forged!.body.replace('"index":0', `"index":${at}`), leafHash: forged!.leafHash, fields: forged!.fields };
  return new Proxy(store, {
    get(target, prop, recv) {
      if (prop === 'scan') {
        return async (from: number, limit: number) => {
          const rows = await target.scan(from, limit + 1);
          const k = rows.findIndex((r) => r.position === at);
          if (k >= 0) rows.splice(k + 1, 0, twin);
          return rows.slice(0, limit);
        };
      }
      const v = Reflect.get(target, prop, recv) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('verifyAuditTrail', () => {
  const key = checkpointKeyFrom('chainwatch.audit/test', keyObjectSigner(generateKeyPairSync('ed25519').privateKey));

  for (const at of [2, 3]) {
    it(`reports a second document stored at position ${at} (batch of 4: ${at === 3 ? 'at' : 'inside'} a batch boundary)`, async () => {
      const s = new SqliteAuditStore({ path: ':memory:' });
      await s.open();
      await s.append(sampleEntries(10));
      await signCheckpoint(s, key, new Date());
      const report = await verifyAuditTrail(withForgedTwin(s, at), key.verifier, { batch: 4 });
      await s.close();
      expect(report.ok).toBe(false);
      expect(report.problem).toMatchObject({ code: 'RECORD_OUT_OF_ORDER', index: at });
    });
  }

  it('still verifies an intact trail in small batches', async () => {
    const s = new SqliteAuditStore({ path: ':memory:' });
    await s.open();
    await s.append(sampleEntries(10));
    await signCheckpoint(s, key, new Date());
    for (const batch of [1, 3, 4, 10, 11]) expect(await verifyAuditTrail(s, key.verifier, { batch })).toMatchObject({ ok: true, records: 10 });
    await s.close();
  });
});
