import type { CloudEvent } from '../../core/events/envelope.js';
import { type Checkpoint, CompactRange, decompose, leafHash, nodeHash, TlogError, verifyLeavesAgainstRoot } from '../../core/tlog/index.js';
import { verifyCheckpoint } from '../../trust/index.js';
import { classify } from './body.js';
import { RekorError } from './errors.js';
import type { Cursor, Follower, FollowerHost } from './host.js';
import { TILE_WIDTH, TileLogClient } from './tiles-client.js';

/**
 * Tile-log round, as a full auditor (no inclusion proofs are trusted, roots are rebuilt):
 *   1. GET /checkpoint, verify the signed note with the log key.
 *   2. Against the cursor's head (size S): shrink / fork checks; for a larger tree N, the subtree
 *      hashes of [0,S) and [S,N) are read from N's hash tiles: [0,S) must fold to the old root and
 *      [0,N) to the new one — a consistency proof built from tiles.
 *   3. Entries [verified, N) in bundle-aligned batches: leaf hashes appended to the cursor's compact
 *      range [0, verified), the right-hand subtrees [to, N) read from tiles, and the root rebuilt
 *      (core/tlog verifyLeavesAgainstRoot). Only a batch that reproduces the signed root is published;
 *      the new compact range is the persisted verified position.
 */
export class TilesFollower implements Follower {
  private client: TileLogClient | undefined;

  async round(host: FollowerHost): Promise<void> {
    const { config, key } = host;
    this.client ??= new TileLogClient(config.url, host.http);
    const client = this.client;
    const { checkpoint: cp, note } = verifyCheckpoint(await host.retry('checkpoint', (s) => client.checkpoint(s)), key, { origin: config.origin });
    host.setOrigin(cp.origin);
    const tiles = new TileCache(host, client, cp.size);
    const prev = host.cursor();

    await this.advanceHead(host, tiles, prev?.head, cp, note);
    let cursor: Cursor = prev ?? { fetched: 0, verified: startIndex(config.start, cp.size) };
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
    const rootB64 = cp.rootHash.toString('base64');
    cursor = { ...cursor, head: { origin: cp.origin, size: cp.size, rootHash: rootB64 }, range: range.toJSON() };
    if (!prev || prev.head?.size !== cp.size || !prev.range) await host.commit([], cursor);

    const step = Math.max(1, Math.ceil(config.batchSize / TILE_WIDTH)) * TILE_WIDTH;
    for (let from = cursor.verified; from < cp.size && !host.signal.aborted;) {
      const to = Math.min(cp.size, Math.floor(from / TILE_WIDTH) * TILE_WIDTH + step);
      const entries = await this.fetchEntries(host, client, from, to, cp.size);
      cursor = { ...cursor, fetched: Math.max(cursor.fetched, to) };
      const hashes = entries.map((e) => leafHash(e));
      range = verifyLeavesAgainstRoot(from, hashes, cp.size, cp.rootHash, { kind: 'prior', range, right: await tiles.subtrees(to, cp.size) });
      const events: CloudEvent[] = [];
      entries.forEach((bytes, i) => events.push(...this.entryEvents(host, cp, rootB64, from + i, bytes, hashes[i]!)));
      cursor = { ...cursor, verified: to, range: range.toJSON() };
      await host.commit(events, cursor);
      from = to;
    }
  }

  private async advanceHead(host: FollowerHost, tiles: TileCache, prev: Cursor['head'], next: Checkpoint, note: string): Promise<void> {
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

  private async fetchEntries(host: FollowerHost, client: TileLogClient, from: number, to: number, size: number): Promise<Buffer[]> {
    const first = Math.floor(from / TILE_WIDTH);
    const last = Math.floor((to - 1) / TILE_WIDTH);
    const bundles: Promise<Buffer[]>[] = [];
    for (let b = first; b <= last; b++) {
      const width = Math.min(TILE_WIDTH, size - b * TILE_WIDTH);
      bundles.push(host.retry('entry bundle', (s) => client.entryBundle(b, width, s)));
    }
    const all = (await Promise.all(bundles)).flat();
    return all.slice(from - first * TILE_WIDTH, to - first * TILE_WIDTH);
  }

  private entryEvents(host: FollowerHost, cp: Checkpoint, rootB64: string, index: number, bytes: Buffer, leaf: Buffer): CloudEvent[] {
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as { kind?: unknown }).kind !== 'string') {
      return [host.anomalyEvent(new RekorError('REKOR_ENTRY_MALFORMED', `entry ${index} is not a JSON object with a kind`), { logIndex: index })];
    }
    const parsed = classify(body as Record<string, unknown>);
    return [
      host.entryEvent({
        log: { origin: cp.origin, url: host.publicUrl },
        uuid: leaf.toString('hex'),
        logIndex: index,
        treeIndex: index,
        kind: parsed.kind,
        ...(parsed.apiVersion ? { apiVersion: parsed.apiVersion } : {}),
        body: parsed.body,
        bodyB64: bytes.toString('base64'),
        artifact: { digests: parsed.digests },
        signers: parsed.signers,
        verification: { inclusion: true, set: null, checkpoint: { size: cp.size, rootHash: rootB64 } },
      }),
    ];
  }
}

/** Reads node hashes of the tree of `size` leaves from its hash tiles, caching tiles per round. */
class TileCache {
  private readonly tiles = new Map<string, Promise<Buffer[]>>();
  constructor(
    private readonly host: FollowerHost,
    private readonly client: TileLogClient,
    private readonly size: number,
  ) {}

  /** Hashes of the perfect subtrees covering [begin, end), left to right (compact-range order). */
  async subtrees(begin: number, end: number): Promise<Buffer[]> {
    const out: Buffer[] = [];
    let b = begin;
    for (const level of decompose(begin, end)) {
      out.push(await this.node(level, b / 2 ** level));
      b += 2 ** level;
    }
    return out;
  }

  /** Hash of the complete node at `level` (0 = leaf), index `n`. */
  private async node(level: number, n: number): Promise<Buffer> {
    const tl = Math.floor(level / 8);
    const r = level % 8;
    const start = n * 2 ** r; // index of its first descendant at level 8*tl
    const t = Math.floor(start / TILE_WIDTH);
    const nodesAtLevel = Math.floor(this.size / TILE_WIDTH ** tl);
    const width = Math.min(TILE_WIDTH, nodesAtLevel - t * TILE_WIDTH);
    const k = `${tl}/${t}/${width}`;
    let tile = this.tiles.get(k);
    if (!tile) {
      tile = this.host.retry('tile', (s) => this.client.tile(tl, t, width, s));
      this.tiles.set(k, tile);
    }
    let row = (await tile).slice(start - t * TILE_WIDTH, start - t * TILE_WIDTH + 2 ** r);
    if (row.length !== 2 ** r) throw new RekorError('REKOR_RESPONSE_MALFORMED', `tile ${k} lacks node ${level}/${n}`);
    while (row.length > 1) row = Array.from({ length: row.length / 2 }, (_, i) => nodeHash(row[2 * i]!, row[2 * i + 1]!));
    return row[0]!;
  }
}

function startIndex(start: FollowerHost['config']['start'], size: number): number {
  if (start === 'now') return size;
  if (start === 'beginning') return 0;
  return Math.min(start.index, size);
}
