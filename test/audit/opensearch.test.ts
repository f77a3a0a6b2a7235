import { ElasticsearchJs, OpenSearchJs } from '../../sinks/audit/testing/index.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/index.js';
import { MemoryKeyProvider } from '../../core/testing/index.js';
import { AuditError, auditOrigin, OpenSearchAuditStore, openCheckpointKey, signCheckpoint, verifyAuditTrail } from '../../sinks/audit/index.js';
import type { SearchTransport } from '../../sinks/audit/index.js';
import { auditStoreContract, sampleEntries, type Tamperer } from '../../sinks/audit/testing/index.js';
import { leafHash } from '../../core/tlog/index.js';
import { service } from '../helpers/services.js';

const os = service('CHAINWATCH_TEST_OPENSEARCH_URL', 'OpenSearch');
const url = os.value ?? 'http://127.0.0.1:1';
const run = randomBytes(4).toString('hex');

/** Raw REST, as an attacker with cluster credentials would use it (no client, no guards). */
async function http(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

function httpTamperer(prefix: () => string): Tamperer {
  const find = async (index: number): Promise<{ _index: string; _source: any }> => {
    await http('POST', `/${prefix()}-*/_refresh`);
    const res = await http('POST', `/${prefix()}-*/_search`, { query: { ids: { values: [String(index)] } } });
    return res.body.hits.hits[0];
  };
  const done = () => http('POST', `/${prefix()}-*/_refresh`);
  return {
    async editBody(index, edit, rehash) {
      const hit = await find(index);
      const body = JSON.parse(hit._source.chainwatch.audit.body);
      edit(body);
      const next = canonicalJson(body);
      const audit = { body: next, ...(rehash ? { leaf_hash: leafHash(Buffer.from(next)).toString('hex') } : {}) };
      expect((await http('POST', `/${hit._index}/_update/${index}`, { doc: { chainwatch: { audit } } })).status).toBe(200);
      await done();
    },
    async deleteRecord(index) {
      const hit = await find(index);
      expect((await http('DELETE', `/${hit._index}/_doc/${index}`)).status).toBe(200);
      await done();
    },
    async swap(a, b) {
      const [ha, hb] = [await find(a), await find(b)];
      await http('PUT', `/${ha._index}/_doc/${a}`, hb._source);
      await http('PUT', `/${hb._index}/_doc/${b}`, ha._source);
      await done();
    },
    async plantNode(level, index) {
      const res = await http('PUT', `/${prefix()}.nodes/_doc/${level}-${index}?refresh=true`, { level, index, hash: '00'.repeat(32) });
      expect(res.status).toBe(201);
    },
  };
}

for (const client of ['opensearch', 'elasticsearch'] as const) {
  const transport = (): SearchTransport => (client === 'opensearch' ? new OpenSearchJs({ url }) : new ElasticsearchJs({ url }));
  const base = `cwtest-${run}-${client === 'opensearch' ? 'os' : 'es'}`;
  let n = 0;
  const prefix = (): string => `${base}-${n}`;

  describe.skipIf(os.skip)(`OpenSearchAuditStore via the ${client} client`, () => {
    auditStoreContract(`opensearch/${client}`, async () => ({
      open: async () => {
        const s = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0 });
        await s.open();
        return s;
      },
      tamper: httpTamperer(prefix),
      reset: async () => {
        n++;
      },
    }));

    afterAll(async () => {
      await http('DELETE', `/${base}-*?expand_wildcards=all`);
      for (let k = 0; k <= n; k++) await http('DELETE', `/_index_template/${base}-${k}`);
    });

    it('never overwrites: a create on an existing record id is refused', async () => {
      n++;
      const s = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0 });
      await s.open();
      await s.append(sampleEntries(5));
      await http('POST', `/${prefix()}-*/_refresh`);
      const res = await http('POST', `/${prefix()}-*/_search`, { query: { ids: { values: ['3'] } } });
      const idx = res.body.hits.hits[0]._index;
      const again = await http('PUT', `/${idx}/_create/3`, res.body.hits.hits[0]._source);
      expect(again.status).toBe(409);
      await s.close();
    });

    // Issue 8 item 5: `audit query/proof/verify/checkpoint` open with create: false.
    it('a read-only open of a missing trail is AUDIT_STORE_NOT_FOUND and creates nothing', async () => {
      n++;
      const s = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0, create: false });
      const err = await s.open().then(
        () => undefined,
        (e: unknown) => e,
      );
      await s.close();
      expect(() => {
        throw err;
      }).toThrowWithCode(AuditError, 'AUDIT_STORE_NOT_FOUND');
      expect((await http('GET', `/_index_template/${prefix()}`)).status).toBe(404);
      const indices = await http('GET', `/_cat/indices/${prefix()}*?format=json&expand_wildcards=all`);
      expect(indices.body).toEqual([]);
    });

    it('a read-only open of an existing trail reads it and writes no template', async () => {
      n++;
      const w = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0 });
      await w.open();
      await w.append(sampleEntries(3));
      await w.close();
      await http('DELETE', `/_index_template/${prefix()}`);
      const r = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0, create: false });
      await r.open();
      expect(await r.size()).toBe(3);
      await r.close();
      expect((await http('GET', `/_index_template/${prefix()}`)).status).toBe(404);
    });

    // One search returns at most a page (index.max_result_window, 10,000 by default): a trail
    // with more checkpoints than that must still be listed, counted and verified whole.
    it('lists every checkpoint past one search page: verify opens and counts them all', async () => {
      n++;
      const s = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0, checkpointPage: 4 });
      await s.open();
      const dir = join(mkdtempSync(join(tmpdir(), 'cw-audit-page-')), 'audit');
      const key = await openCheckpointKey(new MemoryKeyProvider(), { file: join(dir, 'k.pem') }, auditOrigin('page'), dir);
      for (let k = 0; k < 10; k++) {
        await s.append(sampleEntries(3, 3 * k));
        await signCheckpoint(s, key, new Date());
      }
      expect((await s.listCheckpoints()).map((c) => c.size)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
      expect((await s.census()).find((c) => c.table === 'checkpoints')).toEqual({ table: 'checkpoints', count: 10, min: 3, max: 30 });
      const report = await verifyAuditTrail(s, key.verifier, { cadence: { every: 3, maxBatch: 1, intervalMs: 60_000 }, now: new Date() });
      await s.close();
      expect(report).toMatchObject({ ok: true, verdict: 'intact', records: 30, checkpoints: 10, latest: { size: 30 } });
    });

    // An attacker with cluster write access plants a copy of a record at a high index: the
    // read-only open verify uses must still succeed, and verify must name the first missing
    // position (before, the open failed on frontier nodes the inflated size needs: exit 4).
    it('a document forged past the end: a read-only open succeeds and verify names it', async () => {
      n++;
      const s = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0 });
      await s.open();
      const dir = join(mkdtempSync(join(tmpdir(), 'cw-audit-forge-')), 'audit');
      const key = await openCheckpointKey(new MemoryKeyProvider(), { file: join(dir, 'k.pem') }, auditOrigin('forge'), dir);
      await s.append(sampleEntries(6));
      await signCheckpoint(s, key, new Date());
      await s.close();
      await http('POST', `/${prefix()}-*/_refresh`);
      const hit = (await http('POST', `/${prefix()}-*/_search`, { query: { ids: { values: ['3'] } } })).body.hits.hits[0];
      hit._source.chainwatch.audit.index = 1000;
      expect((await http('PUT', `/${hit._index}/_doc/1000?refresh=true`, hit._source)).status).toBe(201);
      const r = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0, create: false });
      await r.open();
      const report = await verifyAuditTrail(r, key.verifier).finally(() => r.close());
      expect(report).toMatchObject({ ok: false, verdict: 'broken' });
      expect(report.problem).toMatchObject({ code: 'RECORD_MISSING', index: 6 });
    });

    it('write-blocks the indices of closed months', async () => {
      n++;
      let now = new Date('2026-01-31T23:59:00Z');
      const mk = async () => {
        const s = new OpenSearchAuditStore({ transport: transport(), indexPrefix: prefix(), replicas: 0, now: () => now });
        await s.open();
        return s;
      };
      const s = await mk();
      await s.append(sampleEntries(3));
      now = new Date('2026-02-01T00:01:00Z');
      await s.append(sampleEntries(2, 3));
      const settings = await http('GET', `/${prefix()}-2026.01/_settings`);
      expect(settings.body[`${prefix()}-2026.01`].settings.index.blocks.write).toBe('true');
      const write = await http('PUT', `/${prefix()}-2026.01/_doc/99`, { '@timestamp': now.toISOString() });
      expect(write.status).toBe(403);
      expect(await s.size()).toBe(5);
      expect((await s.query({ limit: 10 })).records.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
      await s.close();
    });
  });
}
