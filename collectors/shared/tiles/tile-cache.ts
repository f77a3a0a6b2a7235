import { decompose, nodeHash } from '../../../core/tlog/index.js';
import { TILE_WIDTH, type TileLogClient } from './client.js';
import { TileLogError } from './errors.js';

/**
 * Node hashes of the tree of `size` leaves, read from its hash tiles (one level of tiles spans 8
 * tree levels), each tile fetched once per cache. A node inside a tile is folded from the tile's
 * row below it. The hashes are the log's claims: the follower checks them against a signed root.
 */
export class TileCache {
  private readonly tiles = new Map<string, Promise<Buffer[]>>();
  constructor(
    private readonly client: TileLogClient,
    private readonly size: number,
    private readonly retry: <T>(what: string, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>,
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
      tile = this.retry('tile', (s) => this.client.hashTile(tl, t, width, s));
      this.tiles.set(k, tile);
    }
    let row = (await tile).slice(start - t * TILE_WIDTH, start - t * TILE_WIDTH + 2 ** r);
    if (row.length !== 2 ** r) throw new TileLogError('TILES_RESPONSE_MALFORMED', `tile ${k} lacks node ${level}/${n}`);
    while (row.length > 1) row = Array.from({ length: row.length / 2 }, (_, i) => nodeHash(row[2 * i]!, row[2 * i + 1]!));
    return row[0]!;
  }
}
