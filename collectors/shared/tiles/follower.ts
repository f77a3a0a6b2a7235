import { type Checkpoint, CompactRange, type CompactRangeJSON, leafHash, TlogError, verifyLeavesAgainstRoot } from '../../../core/tlog/index.js';
import { TILE_WIDTH, type TileLogClient } from './client.js';
import type { TileEntryFormat } from './entries.js';
import { TileCache } from './tile-cache.js';
// config.js, not the index: the index's loop class imports shared/anomaly, which imports this folder.
import { type StartAt, startIndex } from '../log-collector/config.js';

/**
 * The durable position of a tile-log follower, persisted by its host (JSON). Invariant, which
 * lets a follower resume exactly after a restart or crash:
 *   - `head` is the newest checkpoint whose signature was verified AND whose root was rebuilt from
 *     the hash tiles together with the previous head's (a consistency proof built from tiles); it
 *     moves only then.
 *   - `verified` is the next log index to hand downstream: every entry below it reproduced a
 *     verified signed root from its leaves, and its downstream effect (e.g. bus.publish) was
 *     durable BEFORE the cursor was written. `fetched` may run ahead of `verified`; it is
 *     informational only.
 *   - `range` is the compact range of [0, verified): the auditor state new leaves are appended to.
 *   - Restart resumes at `verified`: an entry may be handed downstream twice, never skipped.
 */
export interface TileCursor {
  fetched: number;
  verified: number;
  head?: { origin: string; size: number; rootHash: string };
  range?: CompactRangeJSON;
}

/** Entries [first, first + entries.length) of the log, verified against `checkpoint`'s root. */
export interface TileBatch<E> {
  checkpoint: Checkpoint;
  first: number;
  entries: E[];
  leafHashes: Buffer[];
}

/** What a follower needs from the collector that runs it; the collector owns keys, events and state. */
export interface TileFollowerHost<E> {
  readonly signal: AbortSignal;
  cursor(): TileCursor | undefined;
  /** Runs a request, retrying retriable failures (core/retry.ts). */
  retry<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Verifies the signed note with the log key (and expected origin); throws when it does not verify. */
  openCheckpoint(note: string): Checkpoint;
  /** A new head, verified and consistent with `consistentWith` (undefined: the first head). */
  checkpointVerified(cp: Checkpoint, note: string, consistentWith: number | undefined): Promise<void>;
  /** The head did not move (same size, same root). */
  checkpointUnchanged(cp: Checkpoint, note: string): Promise<void>;
  /**
   * Hands a verified batch downstream (possibly empty: a new head or range only), THEN persists
   * `next`; resolves once both are durable. Never called with anything unverified.
   */
  commit(batch: TileBatch<E>, next: TileCursor): Promise<void>;
}

export interface TileFollowerOptions {
  /** Entries per batch, rounded up to whole data tiles. */
  batchSize: number;
  /** Where to begin without a cursor: the current tree size, index 0, or a given index. */
  start: StartAt;
}

/**
 * One round over a tile log, as a full auditor (no inclusion proof is taken on trust, roots are
 * rebuilt):
 *   1. GET /checkpoint; the host verifies the signed note.
 *   2. Against the cursor's head (size S): shrink / fork checks; for a larger tree N, the subtree
 *      hashes of [0,S) and [S,N) are read from N's hash tiles: [0,S) must fold to the old root and
 *      [0,N) to the new one — a consistency proof built from tiles.
 *   3. Entries [verified, N) in tile-aligned batches: leaf hashes appended to the cursor's compact
 *      range [0, verified), the right-hand subtrees [to, N) read from tiles, and the root rebuilt
 *      (core/tlog verifyLeavesAgainstRoot). Only a batch that reproduces the signed root is
 *      committed; the new compact range is the persisted verified position.
 * A failure throws out of the round with nothing moved past what was committed.
 */
export class TileFollower<E> {
  constructor(
    private readonly client: TileLogClient,
    private readonly format: TileEntryFormat<E>,
    private readonly opts: TileFollowerOptions,
  ) {}

  async round(host: TileFollowerHost<E>): Promise<void> {
    const client = this.client;
    const note = await host.retry('checkpoint', (s) => client.checkpoint(s));
    const cp = host.openCheckpoint(note);
    const tiles = new TileCache(client, cp.size, (what, fn) => host.retry(what, fn));
    const prev = host.cursor();

    await this.advanceHead(host, tiles, prev?.head, cp, note);
    let cursor: TileCursor = prev ?? { fetched: 0, verified: startIndex(this.opts.start, cp.size) };
    let range: CompactRange;
    if (cursor.range) range = CompactRange.fromJSON(cursor.range);
    else {
      range = CompactRange.fromHashes(0, cursor.verified, await tiles.subtrees(0, cursor.verified));
      range = verifyLeavesAgainstRoot(cursor.verified, [], cp.size, cp.rootHash, {
        kind: 'prior',
        range,
        right: await tiles.subtrees(cursor.verified, cp.size),
      });
    }
    cursor = { ...cursor, head: { origin: cp.origin, size: cp.size, rootHash: cp.rootHash.toString('base64') }, range: range.toJSON() };
    if (!prev || prev.head?.size !== cp.size || !prev.range) await host.commit({ checkpoint: cp, first: cursor.verified, entries: [], leafHashes: [] }, cursor);

    const step = Math.max(1, Math.ceil(this.opts.batchSize / TILE_WIDTH)) * TILE_WIDTH;
    for (let from = cursor.verified; from < cp.size && !host.signal.aborted;) {
      const to = Math.min(cp.size, Math.floor(from / TILE_WIDTH) * TILE_WIDTH + step);
      const entries = await this.fetchEntries(host, from, to, cp.size);
      cursor = { ...cursor, fetched: Math.max(cursor.fetched, to) };
      const hashes = entries.map((e) => leafHash(this.format.leafInput(e)));
      range = verifyLeavesAgainstRoot(from, hashes, cp.size, cp.rootHash, { kind: 'prior', range, right: await tiles.subtrees(to, cp.size) });
      cursor = { ...cursor, verified: to, range: range.toJSON() };
      // Only now, with the root reproduced, does the batch go downstream and the cursor move.
      await host.commit({ checkpoint: cp, first: from, entries, leafHashes: hashes }, cursor);
      from = to;
    }
  }

  private async advanceHead(host: TileFollowerHost<E>, tiles: TileCache, prev: TileCursor['head'], next: Checkpoint, note: string): Promise<void> {
    if (!prev) return host.checkpointVerified(next, note, undefined);
    const prevRoot = Buffer.from(prev.rootHash, 'base64');
    if (next.size < prev.size) throw new TlogError('TLOG_TREE_SHRANK', `tree shrank from ${prev.size} to ${next.size}`);
    if (next.size === prev.size) {
      if (!prevRoot.equals(next.rootHash)) throw new TlogError('TLOG_CONSISTENCY_MISMATCH', `two different roots for tree size ${next.size}`);
      return host.checkpointUnchanged(next, note);
    }
    if (prev.size > 0) {
      const left = CompactRange.fromHashes(0, prev.size, await tiles.subtrees(0, prev.size));
      if (!left.root().equals(prevRoot))
        throw new TlogError('TLOG_CONSISTENCY_MISMATCH', `tiles of size ${next.size} do not contain the verified tree of size ${prev.size}`);
      left.merge(CompactRange.fromHashes(prev.size, next.size, await tiles.subtrees(prev.size, next.size)));
      if (!left.root().equals(next.rootHash)) throw new TlogError('TLOG_CONSISTENCY_MISMATCH', `tiles do not reproduce the root of size ${next.size}`);
    }
    await host.checkpointVerified(next, note, prev.size);
  }

  private async fetchEntries(host: TileFollowerHost<E>, from: number, to: number, size: number): Promise<E[]> {
    const { client, format } = this;
    const first = Math.floor(from / TILE_WIDTH);
    const last = Math.floor((to - 1) / TILE_WIDTH);
    const tiles: Promise<E[]>[] = [];
    for (let t = first; t <= last; t++) {
      const width = Math.min(TILE_WIDTH, size - t * TILE_WIDTH);
      tiles.push(host.retry('entry bundle', async (s) => format.decode(await client.dataTile(format.tileDir, t, width, s), t, width)));
    }
    const all = (await Promise.all(tiles)).flat();
    return all.slice(from - first * TILE_WIDTH, to - first * TILE_WIDTH);
  }
}
