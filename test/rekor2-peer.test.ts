import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRekorCollector, type RekorCollector, type RekorCollectorConfigInput } from '../collectors/rekor/index.js';
import { canonicalJson, type CheckpointObserved, type RekorEntry, type TlogAnomaly } from '../core/index.js';
import { MemoryBus, MemoryStateStore } from '../core/testing/index.js';
import { SqliteStateStore } from '../stores/sqlite/index.js';
import { liveContext } from './helpers/context.js';
import { addHashedRekordV2, checkpointSize, type Rekor2Added, rekor2Signer } from './helpers/rekor2.js';
import { service } from './helpers/services.js';

/**
 * The Rekor v2 follower (kind `tiles`) against a REAL Rekor v2: rekor-tiles' own POSIX server
 * (scripts/services/rekor2.sh), its checkpoint signed with a key the service made, its tiles and
 * entry bundles written by Tessera. Entries are added through its HTTP API; the follower must
 * publish exactly those, byte for byte as the server logged them, each verified against a
 * checkpoint whose signature it checked with the log key, resume from its durable cursor after a
 * restart with no gap and no duplicate, and refuse the log under another key or origin.
 */
const rekor2 = service('CHAINWATCH_TEST_REKOR2_URL', 'Rekor v2 (rekor-tiles POSIX server)');

describe.skipIf(rekor2.skip)('Rekor v2 follower against a real Rekor v2 (rekor-tiles)', () => {
  const url = rekor2.value!;
  const tilesUrl = process.env.CHAINWATCH_TEST_REKOR2_TILES_URL!;
  const origin = process.env.CHAINWATCH_TEST_REKOR2_ORIGIN!;
  const dir = mkdtempSync(join(tmpdir(), 'cw-rekor2-'));
  const signer = rekor2Signer();
  const added = new Map<number, Rekor2Added>(); // logIndex -> what the server answered
  let publicKey = '';
  let startIndex = 0;
  let uploads = 0;

  /** Adds n entries at once (the server batches them into one checkpoint, about a second). */
  async function add(n: number): Promise<void> {
    const got = await Promise.all(
      Array.from({ length: n }, () => addHashedRekordV2(url, signer, `chainwatch rekor2 artifact ${uploads++} ${process.pid} ${Date.now()}\n`)),
    );
    for (const a of got) added.set(a.logIndex, a);
  }

  const follow = (bus: MemoryBus, state: SqliteStateStore | MemoryStateStore, over: Partial<RekorCollectorConfigInput> = {}): RekorCollector =>
    createRekorCollector(
      { url: tilesUrl, kind: 'tiles', publicKey, origin, start: { index: startIndex }, pollInterval: 200, ...over },
      liveContext(bus, state, dir),
    ) as RekorCollector;
  const entries = (bus: MemoryBus): RekorEntry[] => bus.events('chainwatch.rekor').map((e) => e.data as RekorEntry);
  const tlog = <T>(bus: MemoryBus, type: string): T[] =>
    bus
      .events('chainwatch.tlog')
      .filter((e) => e.type === type)
      .map((e) => e.data as T);

  beforeAll(() => {
    publicKey = readFileSync(process.env.CHAINWATCH_TEST_REKOR2_PUBKEY!, 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes exactly the logged entries, verified, and resumes from its durable cursor with no gap', async () => {
    startIndex = await checkpointSize(tilesUrl);
    await add(5);
    const bus = new MemoryBus();
    const statePath = join(dir, 'state.db');
    let state = new SqliteStateStore(statePath);
    let c = follow(bus, state);
    await c.start();
    await vi.waitFor(() => expect(entries(bus).length, 'first 5 entries').toBeGreaterThanOrEqual(5), { timeout: 60_000, interval: 100 });
    await c.stop();
    const firstRun = tlog<CheckpointObserved>(bus, 'dev.chainwatch.tlog.checkpoint.v1');
    const keys = await state.list('rekor:primary:');
    expect(keys).toHaveLength(1);
    const cursor = await state.get<{ verified: number; head?: { size: number } }>(keys[0]!);
    expect(cursor).toMatchObject({ verified: startIndex + 5 });
    state.close();

    // The log grows while the follower is down; a new process on the same state file resumes.
    await add(4);
    state = new SqliteStateStore(statePath);
    c = follow(bus, state);
    await c.start();
    await vi.waitFor(() => expect(entries(bus).length, 'all 9 entries').toBeGreaterThanOrEqual(9), { timeout: 60_000, interval: 100 });
    await c.stop();
    state.close();

    const got = entries(bus);
    expect(got.map((e) => e.logIndex)).toEqual(Array.from({ length: 9 }, (_, k) => startIndex + k)); // in order, no gap, no duplicate
    expect(tlog<TlogAnomaly>(bus, 'dev.chainwatch.tlog.anomaly.v1')).toEqual([]);
    const checkpoints = tlog<CheckpointObserved>(bus, 'dev.chainwatch.tlog.checkpoint.v1');
    expect(checkpoints.every((cp) => cp.signatureVerified && cp.origin === origin)).toBe(true);
    // The restarted follower proved its first new head consistent with the head it had made durable.
    const resumed = checkpoints[firstRun.length]!;
    expect(resumed.consistentWith).toBe(cursor!.head!.size);
    expect(resumed.treeSize).toBeGreaterThanOrEqual(startIndex + 9);
    for (const e of got) {
      const logged = added.get(e.logIndex)!;
      expect(logged, `entry ${e.logIndex} was added by this test`).toBeDefined();
      // The event carries the body parsed (no base64 copy since rekor.entry.v1 dropped bodyB64): equal
      // to the logged bytes once canonicalised, and the uuid is the leaf hash of exactly those bytes.
      expect(Buffer.from(canonicalJson(e.body)).equals(logged.canonicalizedBody)).toBe(true);
      expect(e.uuid).toBe(
        createHash('sha256')
          .update(Buffer.concat([Buffer.from([0]), logged.canonicalizedBody]))
          .digest('hex'),
      );
      expect(e).toMatchObject({ kind: 'hashedrekord', apiVersion: '0.0.2', log: { origin } });
      expect(e.artifact.digests).toEqual([{ algorithm: 'sha256', value: logged.digest }]);
      expect(e.signers[0]).toMatchObject({ kind: 'publicKey', fingerprintSha256: signer.fingerprint });
      expect(e.verification).toMatchObject({ inclusion: true, set: null });
      // Verified against a checkpoint the follower itself verified and published...
      const cp = checkpoints.find((k) => k.treeSize === e.verification.checkpoint.size);
      expect(cp?.rootHash).toBe(e.verification.checkpoint.rootHash);
    }
    // The first head the follower verified is the newest the server had published when it answered
    // the first adds: the same tree (size and root) the server proved their inclusion in.
    const proven = [...added.values()].filter((a) => a.logIndex < startIndex + 5).map((a) => a.proof);
    const newest = proven.reduce((a, b) => (b.treeSize > a.treeSize ? b : a));
    expect({ treeSize: firstRun[0]!.treeSize, rootHash: firstRun[0]!.rootHash }).toEqual(newest);
  }, 180_000);

  it('refuses the log under another key or another origin: anomalies, no entry, no checkpoint', async () => {
    if (added.size === 0) await add(1); // a tree with something to publish, when run alone
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ed25519Key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const cases: [string, Partial<RekorCollectorConfigInput>, string][] = [
      ['another P-256 key', { publicKey: otherKey }, 'NOTE_UNKNOWN_KEY'],
      ['an Ed25519 key', { publicKey: ed25519Key }, 'NOTE_UNKNOWN_KEY'],
      ['the right key, another origin', { origin: 'rekor2.elsewhere.test' }, 'CHECKPOINT_ORIGIN_MISMATCH'],
    ];
    for (const [what, over, code] of cases) {
      const bus = new MemoryBus();
      const c = follow(bus, new MemoryStateStore(), { start: 'beginning', ...over });
      await c.start();
      await vi.waitFor(() => expect(tlog<TlogAnomaly>(bus, 'dev.chainwatch.tlog.anomaly.v1').length, what).toBeGreaterThan(0), {
        timeout: 30_000,
        interval: 50,
      });
      await c.stop();
      expect(tlog<TlogAnomaly>(bus, 'dev.chainwatch.tlog.anomaly.v1')[0], what).toMatchObject({ kind: 'signature_invalid', code });
      expect(entries(bus), what).toEqual([]);
      expect(tlog(bus, 'dev.chainwatch.tlog.checkpoint.v1'), what).toEqual([]);
    }
  }, 120_000);
});
