import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createCtCollector, ctStateKey } from '../collectors/ct/index.js';
import { TlogError } from '../core/tlog/index.js';
import type { CloudEvent, CtEntry } from '../core/index.js';
import { MemoryBus } from '../core/testing/index.js';
import { SqliteStateStore } from '../stores/sqlite/index.js';
import { liveContext } from './helpers/context.js';
import { type IssuedCert, issueCert, submit } from './helpers/ct.js';
import { service } from './helpers/services.js';

/**
 * The CT collector against REAL CT logs (scripts/services/ctlog.sh: ct_server on Trillian +
 * MariaDB, RFC 6962; scripts/services/sunlight.sh: Sunlight, Static CT API). Certificates from the
 * log's per-run test CA are submitted with add-chain and add-pre-chain; each must arrive as exactly
 * one audited ct.entry event with the right fields, and a collector restarted on the same durable
 * state resumes with no gap and no duplicate.
 */
const ctlog = service('CHAINWATCH_TEST_CTLOG_URL', 'RFC 6962 CT log (ct_server)');
const sunlight = service('CHAINWATCH_TEST_SUNLIGHT_URL', 'Static CT log (Sunlight)');

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const spkiHash = (certDer: Buffer): string => sha256(new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' }));

interface LogUnderTest {
  name: string;
  submissionUrl: string;
  caDir: string;
  config: { url: string; api: 'rfc6962' | 'static'; key: string; origin?: string };
  size(): Promise<number>;
}

function suite(log: () => LogUnderTest): void {
  it('a submitted certificate and precertificate each arrive as exactly one audited ct.entry; restart resumes without gap or duplicate', async () => {
    const l = log();
    const dir = mkdtempSync(join(tmpdir(), `cw-ct-${l.name}-`));
    const bus = new MemoryBus();
    const statePath = join(dir, 'state.db');
    const entries = (): CtEntry[] => bus.events('chainwatch.ct').map((e: CloudEvent) => e.data as CtEntry);
    const anomalies = (): unknown[] =>
      bus
        .events('chainwatch.tlog')
        .filter((e) => e.type === 'dev.chainwatch.tlog.anomaly.v1')
        .map((e) => e.data);
    // Small batches and two workers: intermediate batches are audited through inclusion proofs.
    const cfg = { ...l.config, start: 'now' as const, pollInterval: 100, batchSize: 1, concurrency: 2 };

    let state = new SqliteStateStore(statePath);
    let c = createCtCollector(cfg, liveContext(bus, state, dir));
    await c.roundOnce(); // at the tip: nothing published, cursor at the current size
    const base = c.cursor()!.verified;
    expect(entries()).toEqual([]);

    const leaf = issueCert(l.caDir, `leaf-${l.name}.watch.test`);
    const pre = issueCert(l.caDir, `pre-${l.name}.watch.test`, { precert: true });
    await submit(l.submissionUrl, leaf);
    await submit(l.submissionUrl, pre, true);
    await vi.waitFor(async () => expect(await l.size()).toBeGreaterThanOrEqual(base + 2), { timeout: 30_000, interval: 200 });
    await c.roundOnce();

    const got = entries();
    expect(got).toHaveLength(2);
    const byType = (t: string): CtEntry => got.find((e) => e.entryType === t)!;
    const check = (e: CtEntry, cert: IssuedCert): void => {
      expect(Buffer.from(e.certDer, 'base64').equals(cert.der)).toBe(true);
      expect(e.certSha256).toBe(sha256(cert.der));
      expect(Buffer.from(e.chainDer[0]!, 'base64').equals(cert.chain[0]!)).toBe(true); // issuer first
      expect(e.verification.audited).toBe(true);
      expect(e.verification.treeHead.size).toBeGreaterThan(e.index);
      expect(e.log.api).toBe(l.config.api);
      expect(e.leafHash).toMatch(/^[0-9a-f]{64}$/);
    };
    check(byType('x509'), leaf);
    check(byType('precert'), pre);
    expect(byType('precert').issuerKeyHash).toBe(spkiHash(pre.chain[0]!));
    expect(byType('precert').precertTbsDer).toBeTruthy();
    expect(got.map((e) => e.index).sort((a, b) => a - b)).toEqual([base, base + 1]);

    // Restart on the same durable state: one more certificate, exactly one more event.
    state.close();
    const third = issueCert(l.caDir, `third-${l.name}.watch.test`);
    await submit(l.submissionUrl, third);
    await vi.waitFor(async () => expect(await l.size()).toBeGreaterThanOrEqual(base + 3), { timeout: 30_000, interval: 200 });
    state = new SqliteStateStore(statePath);
    c = createCtCollector(cfg, liveContext(bus, state, dir));
    await c.roundOnce();
    const all = entries();
    expect(all.map((e) => e.index)).toEqual([base, base + 1, base + 2]);
    expect(Buffer.from(all[2]!.certDer, 'base64').equals(third.der)).toBe(true);
    expect(anomalies()).toEqual([]);
    state.close();
  });

  it('a log that rewinds or forks is a security anomaly with both tree heads as evidence; the cursor does not move', async () => {
    const l = log();
    const dir = mkdtempSync(join(tmpdir(), `cw-ct-fork-${l.name}-`));
    const bus = new MemoryBus();
    const state = new SqliteStateStore(join(dir, 'state.db'));
    const size = await l.size();
    const anomalies = (): { kind: string; code: string; evidence: Record<string, unknown> }[] =>
      bus
        .events('chainwatch.tlog')
        .filter((e) => e.type === 'dev.chainwatch.tlog.anomaly.v1')
        .map((e) => e.data as never);
    // What the collector verified before: a bigger tree (rewind), then another root at this size (fork).
    const cases = [
      { head: { origin: 'x', size: size + 5, rootHash: Buffer.alloc(32, 1).toString('base64') }, kind: 'tree_shrank', code: 'TLOG_TREE_SHRANK' },
      { head: { origin: 'x', size, rootHash: Buffer.alloc(32, 2).toString('base64') }, kind: 'consistency_failed', code: 'TLOG_CONSISTENCY_MISMATCH' },
    ];
    for (const [i, k] of cases.entries()) {
      const cursor = { fetched: k.head.size, verified: k.head.size, head: k.head };
      const cfg = { ...l.config, vantage: `fork-${i}` };
      await state.put(ctStateKey(cfg), cursor);
      const c = createCtCollector(cfg, liveContext(bus, state, dir));
      await expect(c.roundOnce()).rejects.toThrowWithCode(TlogError, k.code);
      const a = anomalies().at(-1)!;
      expect(a).toMatchObject({ kind: k.kind, code: k.code });
      expect(a.evidence.previous).toMatchObject({ size: k.head.size, rootHash: k.head.rootHash });
      expect(a.evidence.current).toBeTruthy();
      expect(await state.get(ctStateKey(cfg))).toEqual(cursor);
    }
    expect(bus.events('chainwatch.ct')).toEqual([]);
    state.close();
  });
}

describe.skipIf(ctlog.skip)('CT collector against ct_server (RFC 6962)', () => {
  suite(() => {
    const url = ctlog.value!;
    return {
      name: 'rfc6962',
      submissionUrl: url,
      caDir: process.env.CHAINWATCH_TEST_CTLOG_CA!,
      config: { url, api: 'rfc6962', key: readFileSync(process.env.CHAINWATCH_TEST_CTLOG_PUBKEY!, 'utf8') },
      size: async () => ((await (await fetch(`${url}ct/v1/get-sth`)).json()) as { tree_size: number }).tree_size,
    };
  });
});

describe.skipIf(sunlight.skip)('CT collector against Sunlight (Static CT API)', () => {
  suite(() => {
    const logJson = JSON.parse(readFileSync(process.env.CHAINWATCH_TEST_SUNLIGHT_LOG_JSON!, 'utf8')) as { key: string; log_id: string };
    const mon = process.env.CHAINWATCH_TEST_SUNLIGHT_MONITORING_URL!;
    return {
      name: 'static',
      submissionUrl: sunlight.value!,
      caDir: process.env.CHAINWATCH_TEST_SUNLIGHT_CA!,
      config: { url: mon, api: 'static', key: logJson.key },
      size: async () => Number((await (await fetch(`${mon}checkpoint`)).text()).split('\n')[1]),
    };
  });
});
