import { HASH_SIZE } from '../../../core/tlog/index.js';
import { TileLogError } from './errors.js';

/**
 * The wire of a C2SP tlog-tiles log (https://c2sp.org/tlog-tiles; Rekor v2, and static-ct-api CT
 * logs, which are tile logs too): GET <prefix>/checkpoint, hash tiles /tile/<L>/<N>[.p/<W>] (32-byte
 * hashes) and data tiles /tile/<dir>/<N>[.p/<W>] (`entries` for tlog-tiles entry bundles, `data`
 * for static-ct-api; their entry format is a TileEntryFormat's business). Only the wire:
 * verification is the follower's. HTTP (rate limit, timeout, size cap, error classification) is
 * the caller's `fetch`, so each collector keeps its own client and policy.
 */
export const TILE_WIDTH = 256;

/** GETs an absolute URL; resolves to the body of a 2xx, throws a coded HttpError otherwise. */
export type TileFetch = (url: string, signal: AbortSignal | undefined) => Promise<Buffer>;

/** "x001/x234/067" for 1234067: groups of three digits, all but the last prefixed with x. */
export function tileIndexPath(n: number): string {
  let s = String(n);
  while (s.length % 3 !== 0) s = `0${s}`;
  const groups = s.match(/.{3}/g)!;
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

const widthSuffix = (width: number): string => (width < TILE_WIDTH ? `.p/${width}` : '');

export class TileLogClient {
  private readonly base: string;
  constructor(
    url: string,
    private readonly fetch: TileFetch,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /** The signed checkpoint note, verbatim. */
  async checkpoint(signal?: AbortSignal): Promise<string> {
    return (await this.get('checkpoint', signal)).toString('utf8');
  }

  /** Hash tile at `level`, index `n`, holding `width` hashes (256 = full). */
  async hashTile(level: number, n: number, width: number, signal?: AbortSignal): Promise<Buffer[]> {
    const body = await this.get(`tile/${level}/${tileIndexPath(n)}${widthSuffix(width)}`, signal);
    if (body.length !== width * HASH_SIZE) {
      throw new TileLogError('TILES_RESPONSE_MALFORMED', `tile ${level}/${n} has ${body.length} bytes, want ${width * HASH_SIZE}`);
    }
    return Array.from({ length: width }, (_, i) => body.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  }

  /** Data tile `n` under tile/<dir>/, holding `width` entries, undecoded. */
  async dataTile(dir: string, n: number, width: number, signal?: AbortSignal): Promise<Buffer> {
    return this.get(`tile/${dir}/${tileIndexPath(n)}${widthSuffix(width)}`, signal);
  }

  /** Any other resource under the prefix (static-ct-api: issuer/<sha256 hex>). */
  async get(path: string, signal?: AbortSignal): Promise<Buffer> {
    return this.fetch(`${this.base}/${path}`, signal);
  }
}
