// Public surface of the shared tile-log code (C2SP tlog-tiles; Rekor v2 today, static-ct-api CT
// logs next): the wire client, entry formats and the full-auditor follower. Log-specific entry
// decoding stays with each collector.
export { TILE_WIDTH, TileLogClient, tileIndexPath, type TileFetch } from './client.js';
export { tlogTilesEntries, type TileEntryFormat } from './entries.js';
export { TileLogError, type TileLogErrorCode } from './errors.js';
export { TileFollower, type TileBatch, type TileCursor, type TileFollowerHost, type TileFollowerOptions } from './follower.js';
