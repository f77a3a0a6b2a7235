import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyConsistency, consistencyProof, treeRoot } from '../../../core/tlog/index.js';
import { MemoryKeyProvider } from '../../../core/testing/index.js';
import { auditOrigin, KEY_FILE, openCheckpointKey, signCheckpoint, type CheckpointKey } from '../checkpoint.js';
import { invokeCommand } from '../../../core/testing/index.js';
import { auditCommands } from '../commands.js';
import type { IntegrityProblem } from '../errors.js';
import { appendOperatorAction } from '../operator.js';
import type { AuditEntry, AuditStore } from '../port.js';
import { getRecordWithProof, verifyRecordProof } from '../proof.js';
import { encodeRecord } from '../record.js';
import { verifyAuditTrail } from '../verify.js';

/**
 * The AuditStore contract, run against every backend (SQLite in sinks/audit, OpenSearch through
 * both clients in test/audit). `tamper` does what an attacker with raw access to the backend
 * would do, bypassing the append-only guards; verify must catch each, naming the record.
 */
export interface Tamperer {
  /** Rewrites a record's body (and, when `rehash`, its stored leaf hash too). */
  editBody(index: number, edit: (body: Record<string, unknown>) => void, rehash: boolean): Promise<void>;
  deleteRecord(index: number): Promise<void>;
  /** Swaps two records' contents between their positions. */
  swap(a: number, b: number): Promise<void>;
  /** Stores an extra tree node (level >= 1) that no record completes. */
  plantNode(level: number, index: number): Promise<void>;
}

export interface ContractBackend {
  /** A NEW, opened store handle on the same data each call. */
  open(): Promise<AuditStore>;
  tamper: Tamperer;
  /** Drops everything (a fresh, empty store for the next test). */
  reset(): Promise<void>;
  cleanup?(): Promise<void>;
}

const T0 = Date.parse('2026-03-01T00:00:00Z');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

export function sampleEntries(n: number, from = 0): AuditEntry[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const e: AuditEntry = {
      kind: i % 5 === 0 ? 'finding' : 'event',
      id: `ev-${i}`,
      type: i % 5 === 0 ? 'dev.chainwatch.finding.v1' : i % 2 ? 'dev.chainwatch.rekor.entry.v1' : 'dev.chainwatch.tlog.checkpoint.v1',
      time: new Date(T0 + i * 60_000).toISOString(),
      subject: i % 3 === 0 ? DIGEST : `subject-${i % 4}`,
      source: 'test',
      position: { topic: 'chainwatch.rekor', partition: 0, offset: i },
      payload: { seq: i, nested: { b: [1, 2.5, 'x'], a: null }, é: true },
    };
    if (i % 3 === 0) e.digest = DIGEST;
    if (i % 4 === 1) e.identity = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
    if (e.kind === 'finding') e.severity = (['info', 'low', 'medium', 'high', 'critical'] as const)[(i / 5) % 5]!;
    return e;
  });
}

export function auditStoreContract(name: string, makeBackend: () => Promise<ContractBackend>): void {
  describe(`AuditStore contract: ${name}`, () => {
    let b: ContractBackend;
    let key: CheckpointKey;
    let keyDir: string;
    const keys = new MemoryKeyProvider();
    beforeAll(async () => {
      b = await makeBackend();
      keyDir = join(mkdtempSync(join(tmpdir(), 'cw-audit-key-')), 'audit');
      key = await openCheckpointKey(keys, { file: join(keyDir, KEY_FILE) }, auditOrigin('contract'), keyDir);
    });
    afterAll(async () => {
      await b?.cleanup?.();
    });

    async function fresh(n: number): Promise<AuditStore> {
      await b.reset();
      const s = await b.open();
      for (let at = 0; at < n; at += 16) await s.append(sampleEntries(Math.min(16, n - at), at));
      return s;
    }

    async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
      const commands = auditCommands({ openStore: () => b.open(), actor: () => 'alice@test' });
      const spec = commands.find((c) => c.name === `audit ${argv[0]}`);
      if (!spec) throw new Error(`no command audit ${argv[0]}`);
      // The key lives in <dataDir>/audit: hand the commands a data dir whose audit/ is keyDir.
      const r = await invokeCommand(spec, argv.slice(1), { section: { instance: 'contract', backend: { kind: 'sqlite' } }, dataDir: dirname(keyDir), keys });
      return { code: r.code, out: r.out ? r.out.split('\n') : [], err: r.err ? r.err.split('\n') : [] };
    }

    it('appends with consecutive indices, durable across reopen, readable by index and id', async () => {
      const s = await fresh(40);
      expect(await s.size()).toBe(40);
      const more = await s.append(sampleEntries(3, 40));
      expect(more.map((r) => r.index)).toEqual([40, 41, 42]);
      await s.close();
      const s2 = await b.open();
      expect(await s2.size()).toBe(43);
      const r = await s2.get({ index: 7 });
      expect(r).toMatchObject({ index: 7, id: 'ev-7', payload: { seq: 7 } });
      expect((await s2.get({ id: 'ev-41' }))?.index).toBe(41);
      expect(await s2.get({ index: 999 })).toBeUndefined();
      const [next] = await s2.append(sampleEntries(1, 43));
      expect(next!.index).toBe(43);
      await s2.close();
    });

    it('filters by time, subject, digest, identity, type, kind and severity, and pages', async () => {
      const s = await fresh(50);
      const idx = async (q: Parameters<AuditStore['query']>[0]) => (await s.query(q)).records.map((r) => r.index);
      expect(await idx({ since: new Date(T0 + 10 * 60_000).toISOString(), until: new Date(T0 + 13 * 60_000).toISOString() })).toEqual([10, 11, 12]);
      expect((await idx({ digest: DIGEST })).every((i) => i % 3 === 0)).toBe(true);
      expect(await idx({ subject: 'subject-1', limit: 3 })).toEqual([1, 5, 13].filter((i) => i % 3 !== 0).slice(0, 3));
      expect((await idx({ identity: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main' })).every((i) => i % 4 === 1)).toBe(true);
      expect(await idx({ kind: 'finding', severity: 'high' })).toEqual([15, 20, 40, 45]);
      expect((await idx({ type: 'dev.chainwatch.rekor.*' })).length).toBeGreaterThan(10);
      expect(await idx({ type: 'dev.chainwatch.rekor.*', limit: 2, order: 'desc' })).toEqual([49, 47]);
      const p1 = await s.query({ limit: 20 });
      expect(p1.next).toBe(19);
      const p3 = await s.query({ limit: 20, after: 39 });
      expect(p3.records.map((r) => r.index)).toEqual(Array.from({ length: 10 }, (_, k) => 40 + k));
      expect(p3.next).toBeUndefined();
      await s.close();
    });

    it('serves leaf hashes and nodes that make valid roots, proofs and signed checkpoints', async () => {
      const s = await fresh(37);
      const leaves = await s.leafHashes(0, 37);
      expect(leaves[5]!.equals(encodeRecord((await s.get({ index: 5 }))!).leafHash)).toBe(true);
      const cp1 = await signCheckpoint(s, key, new Date());
      expect(cp1?.size).toBe(37);
      expect(await signCheckpoint(s, key, new Date())).toBeUndefined(); // nothing new to cover
      await s.append(sampleEntries(30, 37));
      const cp2 = (await signCheckpoint(s, key, new Date()))!;
      const read = (ids: Parameters<AuditStore['nodes']>[0]) => s.nodes(ids);
      verifyConsistency(37, 67, await consistencyProof(37, 67, read), Buffer.from(cp1!.rootHash, 'hex'), await treeRoot(67, read));
      expect((await s.listCheckpoints()).map((c) => c.size)).toEqual([37, 67]);
      await expect(s.putCheckpoint(cp2)).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
      const proof = (await getRecordWithProof(s, { id: 'ev-20' }))!;
      expect(verifyRecordProof(proof, key.vkey)).toEqual({ treeSize: 67, rootHash: cp2.rootHash });
      expect((await s.recentPositions(3)).map((p) => p.offset)).toEqual([66, 65, 64]);
      await s.close();
    });

    it('CLI: note, checkpoint, proof and query round-trip', async () => {
      await (await fresh(10)).close();
      expect((await cli(['note', 'looked', 'at', 'it', '--subject', DIGEST, '--data-dir', '/x'])).code).toBe(0);
      expect((await cli(['checkpoint'])).code).toBe(0);
      const q = await cli(['query', '--kind', 'operator', '--json']);
      const rec = JSON.parse(q.out.join('\n')).records[0];
      expect(rec).toMatchObject({ index: 10, kind: 'operator', identity: 'alice@test', digest: DIGEST, payload: { text: 'looked at it' } });
      const p = await cli(['proof', rec.id]);
      expect(p.code).toBe(0);
      const bundle = JSON.parse(p.out.join('\n'));
      verifyRecordProof(bundle, bundle.verifierKey);
      const csv = await cli(['query', '--csv', '--digest', DIGEST]);
      expect(csv.out[0]).toBe('index,time,kind,type,severity,subject,identity,id');
      expect((await cli(['query', '--severity', 'bogus'])).code).toBe(2);
      expect((await cli(['verify'])).code).toBe(0);
    });

    async function tampered(prepare: (t: Tamperer) => Promise<void>, code: IntegrityProblem, index: number, size = 30): Promise<void> {
      const s = await fresh(size);
      await appendOperatorAction(s, { actor: 'alice', action: 'note', text: 'before tamper' });
      await signCheckpoint(s, key, new Date());
      await s.close();
      expect((await cli(['verify'])).code).toBe(0);
      await prepare(b.tamper);
      const s2 = await b.open();
      const report = await verifyAuditTrail(s2, key.verifier);
      await s2.close();
      expect(report.problem).toMatchObject({ code, index });
      const res = await cli(['verify', '--json']);
      expect(res.code).toBe(1);
      expect(JSON.parse(res.out.join('\n')).problem).toMatchObject({ code, index });
    }

    it('verify names an edited record', () =>
      tampered((t) => t.editBody(12, (b) => ((b.payload as { seq: number }).seq = 999), false), 'RECORD_HASH_MISMATCH', 12));
    it('verify names an edited record even when its leaf hash was recomputed', () =>
      tampered((t) => t.editBody(17, (b) => (b.subject = 'forged'), true), 'RECORD_FIELDS_MISMATCH', 17));
    it('verify names a deleted record', () => tampered((t) => t.deleteRecord(9), 'RECORD_MISSING', 9));
    it('verify names the first of two reordered records', () => tampered((t) => t.swap(4, 5), 'RECORD_OUT_OF_ORDER', 4));
    it('verify catches a dropped tail covered by a checkpoint', () => tampered((t) => t.deleteRecord(30), 'CHECKPOINT_BEYOND_RECORDS', 30));

    it('census counts every table, and verify counts a forged extra node row', async () => {
      const s = await fresh(40);
      await signCheckpoint(s, key, new Date());
      const census = await s.census();
      await s.close();
      expect(census.find((c) => c.table === 'records')).toEqual({ table: 'records', count: 40, min: 0, max: 39 });
      expect(census.filter((c) => c.table === 'nodes')).toEqual([{ table: 'nodes', level: 4, count: 2, min: 0, max: 1 }]);
      expect(census.find((c) => c.table === 'checkpoints')).toEqual({ table: 'checkpoints', count: 1, min: 40, max: 40 });
      await b.tamper.plantNode(4, 7);
      const s2 = await b.open();
      const report = await verifyAuditTrail(s2, key.verifier);
      await s2.close();
      expect(report).toMatchObject({ verdict: 'broken', problem: { code: 'ROW_CENSUS_MISMATCH' } });
      expect(report.problem?.detail).toContain('table nodes level 4:');
      const res = await cli(['verify', '--json']);
      expect(res.code).toBe(1);
      expect(JSON.parse(res.out.join('\n')).problem).toMatchObject({ code: 'ROW_CENSUS_MISMATCH' });
    });
  });
}
