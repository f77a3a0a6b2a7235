import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RekorEntry, TlogAnomaly } from '../../core/index.js';
import { noopMetrics, silentLogger } from '../../core/index.js';
import { MemoryKeyProvider, MemoryStateStore, realdata } from '../../core/testing/index.js';
import { createRekorCollector, type RekorCollector } from './collector.js';
import type { RekorCollectorConfigInput } from './config.js';
import { FakeTileLog } from '../shared/testing/index.js';
import { loadRecording } from './testing/fake-rekor.js';
import { MemoryBus } from '../../core/testing/index.js';

/**
 * The Rekor collector on a tile log (C2SP tlog-tiles / Rekor v2): the shared tile follower
 * (collectors/shared/tiles, tested on its own in follower.test.ts) with Rekor v2 entries.
 * Leaves are REAL Rekor entry bodies: those recorded from the local Rekor v1 and, when
 * shared/realdata is present, the hashedrekord 0.0.2 body of the
 * sigstore-conformance rekor2-happy-path bundle (a real Rekor v2 entry with a Fulcio certificate).
 * The fake serves tiles computed from them, checkpoint signed with the recording's throw-away key.
 */
const rec = loadRecording();
// realdata() fails under CI when the data is missing; elsewhere the rekor2 body case is left out.
const data = realdata();
function rekor2Body(): Buffer | undefined {
  if (data.skip) return undefined;
  const b = JSON.parse(readFileSync(join(data.dir, 'sigstore/conformance/bundle-verify/rekor2-happy-path/bundle.sigstore.json'), 'utf8'));
  return Buffer.from(b.verificationMaterial.tlogEntries[0].canonicalizedBody, 'base64');
}
const v1Bodies = rec.entries.map((o) => Buffer.from(Object.values(o)[0]!.body, 'base64'));
const r2 = rekor2Body();
const leaves = Array.from({ length: 600 }, (_, i) => (i === 5 && r2 ? r2 : v1Bodies[i % v1Bodies.length]!));

describe('RekorCollector (tiles) as a full auditor', () => {
  const keys = new MemoryKeyProvider();
  let log: FakeTileLog;
  let bus: MemoryBus;
  let cs: RekorCollector[];
  const start = async (over: Partial<RekorCollectorConfigInput> = {}, state = new MemoryStateStore()): Promise<RekorCollector> => {
    const c = createRekorCollector(
      { url: log.url, kind: 'tiles', publicKey: rec.publicKey, start: 'beginning', pollInterval: 30, batchSize: 256, ...over },
      { bus, state, logger: silentLogger, metrics: noopMetrics, dataDir: '/nonexistent', keys, fail: () => undefined, now: () => new Date() },
    ) as RekorCollector;
    cs.push(c);
    await c.start();
    return c;
  };
  const entries = (): RekorEntry[] => bus.events('chainwatch.rekor').map((e) => e.data as RekorEntry);
  const anomalies = (): TlogAnomaly[] =>
    bus
      .events('chainwatch.tlog')
      .filter((e) => e.type.endsWith('anomaly.v1'))
      .map((e) => e.data as TlogAnomaly);
  const checkpoints = () =>
    bus
      .events('chainwatch.tlog')
      .filter((e) => e.type.endsWith('checkpoint.v1'))
      .map((e) => e.data as { treeSize: number; consistentWith?: number });
  beforeEach(async () => {
    log = new FakeTileLog(leaves, rec.testOnlySignerKey);
    await log.start();
    bus = new MemoryBus();
    cs = [];
  });
  afterEach(async () => {
    for (const c of cs) await c.stop();
    await log.stop();
  });

  it('rebuilds the root from every leaf, then grows with a tile-based consistency check', async () => {
    log.size = 300;
    await start();
    await vi.waitFor(() => expect(entries().length === 300, '300 entries').toBe(true), { timeout: 10_000, interval: 20 });
    log.size = 600;
    await vi.waitFor(() => expect(entries().length === 600, '600 entries').toBe(true), { timeout: 10_000, interval: 20 });
    expect(entries().map((e) => e.logIndex)).toEqual([...Array(600).keys()]);
    expect(checkpoints()).toMatchObject([{ treeSize: 300 }, { treeSize: 600, consistentWith: 300 }]);
    expect(entries()[0]!.verification).toMatchObject({ inclusion: true, set: null });
    expect(anomalies()).toEqual([]);
    if (r2) {
      const e = entries()[5]!;
      expect(e).toMatchObject({ kind: 'hashedrekord', apiVersion: '0.0.2' });
      expect(e.artifact.digests[0]).toEqual({ algorithm: 'sha256', value: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(e.signers[0]).toMatchObject({ kind: 'certificate', issuer: expect.stringMatching(/^https:\/\//) });
    }
  });

  it("start 'now' bootstraps its compact range from hash tiles", async () => {
    log.size = 520;
    await start({ start: 'now' });
    await vi.waitFor(() => expect(checkpoints().length === 1, 'checkpoint').toBe(true), { timeout: 10_000, interval: 20 });
    log.size = 600;
    await vi.waitFor(() => expect(entries().length === 80, 'new entries').toBe(true), { timeout: 10_000, interval: 20 });
    expect(entries()[0]!.logIndex).toBe(520);
  });

  it('refuses a tampered entry bundle (root mismatch) and a forked checkpoint, then recovers', async () => {
    log.size = 256;
    const state = new MemoryStateStore();
    await start({}, state);
    await vi.waitFor(() => expect(entries().length === 256, 'first entries').toBe(true), { timeout: 10_000, interval: 20 });
    log.size = 600;
    log.hook = (_req, res, path) => {
      if (path !== '/tile/entries/001') return false;
      const bad = Buffer.concat(
        leaves
          .slice(256, 512)
          .flatMap((e, i) => [Buffer.from([e.length >> 8, e.length & 0xff]), i === 3 ? Buffer.from(e.toString().replace('sha256', 'sha512')) : e]),
      );
      res.writeHead(200).end(bad);
      return true;
    };
    await vi.waitFor(
      () =>
        expect(
          anomalies().some((a) => a.code === 'TLOG_ROOT_MISMATCH'),
          'root mismatch',
        ).toBe(true),
      { timeout: 10_000, interval: 20 },
    );
    expect(anomalies()[0]!.kind).toBe('inclusion_failed');
    expect(entries()).toHaveLength(256);
    log.hook = (_req, res, path) => (path === '/checkpoint' ? (res.writeHead(200).end(log.checkpoint(600, Buffer.alloc(32, 1))), true) : false);
    await vi.waitFor(
      () =>
        expect(
          anomalies().some((a) => a.kind === 'consistency_failed' || a.code === 'TLOG_ROOT_MISMATCH'),
          'fork',
        ).toBe(true),
      { timeout: 10_000, interval: 20 },
    );
    log.hook = (_req, res, path) => (path === '/tile/entries/001' ? (res.writeHead(200).end(Buffer.from([0, 9, 1])), true) : false);
    await vi.waitFor(
      () =>
        expect(
          anomalies().some((a) => a.code === 'TILES_RESPONSE_MALFORMED'),
          'truncated bundle',
        ).toBe(true),
      { timeout: 10_000, interval: 20 },
    );
    expect(anomalies().find((a) => a.code === 'TILES_RESPONSE_MALFORMED')!.kind).toBe('malformed_response');
    log.hook = undefined;
    await vi.waitFor(() => expect(entries().length === 600, 'recovered').toBe(true), { timeout: 10_000, interval: 20 });
    expect(entries().map((e) => e.logIndex)).toEqual([...Array(600).keys()]);
  });
});
