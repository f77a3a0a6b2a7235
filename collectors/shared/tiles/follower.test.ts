import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ecdsaNoteVerifier, openCheckpoint, TlogError } from '../../../core/tlog/index.js';
import { TileLogClient, tileIndexPath } from './client.js';
import { tlogTilesEntries, type TileEntryFormat } from './entries.js';
import { TileLogError } from './errors.js';
import { TileFollower, type TileCursor, type TileFollowerHost } from './follower.js';
import { FakeTileLog, type FakeTileFormat } from '../testing/fake-tile-log.js';

/**
 * The shared tile-log follower on its own, with a host that records what it is handed (the Rekor
 * collector on top of it: collectors/rekor/tiles.test.ts). Entries are random bytes of varied length.
 */
const signer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const signerPem = signer.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const leaves = Array.from({ length: 600 }, (_, i) => randomBytes(1 + ((i * 37) % 300)));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return expect.unreachable('the round did not fail');
}

describe('tile paths and entry bundles', () => {
  it('encodes C2SP tile indexes', () => {
    expect(tileIndexPath(0)).toBe('000');
    expect(tileIndexPath(1234067)).toBe('x001/x234/067');
    expect(tileIndexPath(1000)).toBe('x001/000');
  });

  it('splits entry bundles and refuses truncated or miscounted ones', () => {
    const bundle = Buffer.from([0, 1, 0xaa, 0, 2, 0xbb, 0xcc]);
    expect(tlogTilesEntries.decode(bundle, 0, 2)).toEqual([Buffer.from([0xaa]), Buffer.from([0xbb, 0xcc])]);
    for (const [tile, width] of [
      [bundle.subarray(0, 6), 2],
      [bundle.subarray(0, 1), 1],
      [bundle, 3],
    ] as const) {
      let thrown: unknown;
      try {
        tlogTilesEntries.decode(tile, 0, width);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TileLogError);
      expect((thrown as TileLogError).code).toBe('TILES_RESPONSE_MALFORMED');
    }
  });
});

describe('TileFollower', () => {
  let log: FakeTileLog;
  let cursor: TileCursor | undefined;
  let delivered: number[];
  let heads: [number, number | undefined][];
  let failCommit: ((first: number) => boolean) | undefined;

  const host = (origin = 'chainwatch.test/tiles'): TileFollowerHost<Buffer> => {
    const verifier = ecdsaNoteVerifier(origin, createPublicKey(signer.privateKey));
    return {
      signal: new AbortController().signal,
      cursor: () => cursor,
      retry: (_what, fn) => fn(new AbortController().signal),
      openCheckpoint: (note) => openCheckpoint(note, [verifier], { origin }).checkpoint,
      checkpointVerified: (cp, _note, consistentWith) => {
        heads.push([cp.size, consistentWith]);
        return Promise.resolve();
      },
      checkpointUnchanged: () => Promise.resolve(),
      commit: (batch, next) => {
        if (failCommit?.(batch.first)) return Promise.reject(new Error('downstream unavailable'));
        batch.entries.forEach((e, i) => {
          expect(e.equals(log.leaves[batch.first + i]!)).toBe(true);
          delivered.push(batch.first + i);
        });
        cursor = next;
        return Promise.resolve();
      },
    };
  };
  const follower = (opts: Partial<ConstructorParameters<typeof TileFollower>[2]> = {}, format: TileEntryFormat<Buffer> = tlogTilesEntries) =>
    new TileFollower(
      new TileLogClient(log.url, async (url, signal) => {
        const res = await fetch(url, signal ? { signal } : {});
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return Buffer.from(await res.arrayBuffer());
      }),
      format,
      { batchSize: 256, start: 'beginning', ...opts },
    );

  beforeEach(async () => {
    log = new FakeTileLog(leaves, signerPem);
    await log.start();
    cursor = undefined;
    delivered = [];
    heads = [];
    failCommit = undefined;
  });
  afterEach(async () => {
    await log.stop();
  });

  it('hands every entry downstream once, in order, and grows with a tile-based consistency check', async () => {
    const f = follower();
    log.size = 300;
    await f.round(host());
    expect(delivered).toEqual([...Array(300).keys()]);
    expect(cursor).toMatchObject({ fetched: 300, verified: 300, head: { size: 300 }, range: { begin: 0, end: 300 } });
    log.size = 600;
    await f.round(host());
    await f.round(host()); // unchanged tree: nothing more
    expect(delivered).toEqual([...Array(600).keys()]);
    expect(heads).toEqual([
      [300, undefined],
      [600, 300],
    ]);
  });

  it('moves the verified position only after the downstream commit succeeded: a failed batch is re-delivered, never skipped', async () => {
    const f = follower();
    failCommit = (first) => first === 256;
    expect(await rejection(f.round(host()))).toMatchObject({ message: 'downstream unavailable' });
    expect(cursor).toMatchObject({ verified: 256, range: { end: 256 } });
    failCommit = undefined;
    await f.round(host());
    expect(delivered).toEqual([...Array(600).keys()]);
  });

  it('commits nothing from a data tile that does not reproduce the signed root', async () => {
    const f = follower();
    log.size = 344;
    log.hook = (_req, res, path) => {
      if (path !== '/tile/entries/001.p/88') return false;
      const bad = leaves.slice(256, 344).map((e, i) => (i === 7 ? Buffer.from(e).fill(0) : e));
      res.writeHead(200).end(Buffer.concat(bad.flatMap((e) => [Buffer.from([e.length >> 8, e.length & 0xff]), e])));
      return true;
    };
    const err = await rejection(f.round(host()));
    expect(err).toBeInstanceOf(TlogError);
    expect((err as TlogError).code).toBe('TLOG_ROOT_MISMATCH');
    expect(cursor?.verified).toBe(256);
    expect(delivered).toEqual([...Array(256).keys()]);
  });

  it('refuses a fork, a shrink and a badly signed checkpoint without moving the head', async () => {
    const f = follower();
    log.size = 300;
    await f.round(host());
    const before = structuredClone(cursor);
    log.hook = (_req, res, path) => (path === '/checkpoint' ? (res.writeHead(200).end(log.checkpoint(600, Buffer.alloc(32, 1))), true) : false);
    log.size = 600;
    expect(((await rejection(f.round(host()))) as TlogError).code).toBe('TLOG_CONSISTENCY_MISMATCH');
    log.hook = undefined;
    log.size = 200;
    expect(((await rejection(f.round(host()))) as TlogError).code).toBe('TLOG_TREE_SHRANK');
    log.size = 600;
    expect(() => host('another.origin/log').openCheckpoint(log.checkpoint())).toThrowWithCode(TlogError, 'CHECKPOINT_ORIGIN_MISMATCH');
    expect(((await rejection(f.round(host('another.origin/log')))) as TlogError).code).toBe('CHECKPOINT_ORIGIN_MISMATCH');
    expect(cursor).toEqual(before);
    expect(heads).toEqual([[300, undefined]]);
  });

  it('starts at a given index by bootstrapping its compact range from the hash tiles', async () => {
    await follower({ start: { index: 300 } }).round(host());
    expect(delivered).toEqual([...Array(300).keys()].map((i) => i + 300));
    expect(log.requests.filter((p) => p.startsWith('/tile/entries/'))).toEqual(['/tile/entries/001', '/tile/entries/002.p/88']);
  });

  it('serves another data-tile format (static-ct-api style: `data` tiles, leaf input rebuilt from the entry)', async () => {
    // Fixed 16-byte records; the tree hashes a prefixed form of each, as a CT log hashes a MerkleTreeLeaf.
    const records = Array.from({ length: 300 }, () => randomBytes(16));
    const leafInput = (e: Buffer): Buffer => Buffer.concat([Buffer.from('leaf:'), e]);
    const fake: FakeTileFormat = { tileDir: 'data', encode: (es) => Buffer.concat(es), leafInput };
    const format: TileEntryFormat<Buffer> = {
      tileDir: 'data',
      decode: (tile, _n, width) => Array.from({ length: width }, (_, i) => tile.subarray(16 * i, 16 * (i + 1))),
      leafInput,
    };
    await log.stop();
    log = new FakeTileLog(records, signerPem, fake);
    await log.start();
    await follower({}, format).round(host());
    expect(delivered).toEqual([...Array(300).keys()]);
    expect(log.requests.some((p) => p.startsWith('/tile/data/'))).toBe(true);
    // The raw records are not the leaves: hashing them as-is could not reproduce the root.
    cursor = undefined;
    delivered = [];
    const raw: TileEntryFormat<Buffer> = { ...format, leafInput: (e) => e };
    expect(((await rejection(follower({}, raw).round(host()))) as TlogError).code).toBe('TLOG_ROOT_MISMATCH');
  });
});
