import { TileLogError } from './errors.js';

/**
 * How a tile log packs entries into data tiles, and what its Merkle leaves hash. tlog-tiles logs
 * (Rekor v2) use entry bundles of length-prefixed entries whose bytes are the leaf input;
 * static-ct-api logs use `data` tiles of TileLeaf structures whose leaf input is a
 * MerkleTreeLeaf rebuilt from them: a format of their own, same follower.
 */
export interface TileEntryFormat<E> {
  /** Directory of data tiles under tile/: `entries` (tlog-tiles) or `data` (static-ct-api). */
  readonly tileDir: string;
  /** Splits data tile `n`, which must hold exactly `width` entries. Throws TileLogError TILES_RESPONSE_MALFORMED. */
  decode(tile: Buffer, n: number, width: number): E[];
  /** The RFC 6962 leaf input of an entry: the tree holds leafHash() of these bytes. */
  leafInput(entry: E): Uint8Array;
}

/** C2SP tlog-tiles entry bundles: each entry a big-endian uint16 length, then that many bytes. */
export const tlogTilesEntries: TileEntryFormat<Buffer> = {
  tileDir: 'entries',
  decode(tile, n, width) {
    const out: Buffer[] = [];
    for (let p = 0; p < tile.length;) {
      if (p + 2 > tile.length) throw new TileLogError('TILES_RESPONSE_MALFORMED', `entry bundle ${n} is truncated`);
      const len = tile.readUInt16BE(p);
      if (p + 2 + len > tile.length) throw new TileLogError('TILES_RESPONSE_MALFORMED', `entry bundle ${n} is truncated`);
      out.push(tile.subarray(p + 2, p + 2 + len));
      p += 2 + len;
    }
    if (out.length !== width) throw new TileLogError('TILES_RESPONSE_MALFORMED', `entry bundle ${n} has ${out.length} entries, want ${width}`);
    return out;
  },
  leafInput: (entry) => entry,
};
