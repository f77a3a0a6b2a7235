import { RekorError } from './errors.js';
import type { HttpClient } from '../../core/index.js';

/**
 * Adapter for a C2SP tlog-tiles log (Rekor v2 and other tile logs): GET <prefix>/checkpoint,
 * /tile/<L>/<N>[.p/<W>] (hash tiles, 32-byte hashes) and /tile/entries/<N>[.p/<W>] (entry bundles:
 * each entry a big-endian uint16 length + bytes). Only the wire; verification is the follower's.
 */
export const TILE_WIDTH = 256;

/** "x001/x234/067" for 1234067: groups of three digits, all but the last prefixed with x. */
export function tileIndexPath(n: number): string {
  let s = String(n);
  while (s.length % 3 !== 0) s = `0${s}`;
  const groups = s.match(/.{3}/g)!;
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

export class TileLogClient {
  private readonly base: string;
  constructor(
    url: string,
    private readonly http: HttpClient,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  async checkpoint(signal?: AbortSignal): Promise<string> {
    const res = await this.http.request({ url: `${this.base}/checkpoint`, signal });
    return res.body.toString('utf8');
  }

  /** Hash tile at `level`, index `n`, holding `width` hashes (256 = full). */
  async tile(level: number, n: number, width: number, signal?: AbortSignal): Promise<Buffer[]> {
    const body = await this.get(`tile/${level}/${tileIndexPath(n)}${width < TILE_WIDTH ? `.p/${width}` : ''}`, signal);
    if (body.length !== width * 32) {
      throw new RekorError('REKOR_RESPONSE_MALFORMED', `tile ${level}/${n} has ${body.length} bytes, want ${width * 32}`);
    }
    return Array.from({ length: width }, (_, i) => body.subarray(i * 32, i * 32 + 32));
  }

  /** Entry bundle `n` holding `width` entries. */
  async entryBundle(n: number, width: number, signal?: AbortSignal): Promise<Buffer[]> {
    const body = await this.get(`tile/entries/${tileIndexPath(n)}${width < TILE_WIDTH ? `.p/${width}` : ''}`, signal);
    const out: Buffer[] = [];
    for (let p = 0; p < body.length;) {
      if (p + 2 > body.length) throw new RekorError('REKOR_RESPONSE_MALFORMED', `entry bundle ${n} is truncated`);
      const len = body.readUInt16BE(p);
      if (p + 2 + len > body.length) throw new RekorError('REKOR_RESPONSE_MALFORMED', `entry bundle ${n} is truncated`);
      out.push(body.subarray(p + 2, p + 2 + len));
      p += 2 + len;
    }
    if (out.length !== width) throw new RekorError('REKOR_RESPONSE_MALFORMED', `entry bundle ${n} has ${out.length} entries, want ${width}`);
    return out;
  }

  private async get(path: string, signal?: AbortSignal): Promise<Buffer> {
    return (await this.http.request({ url: `${this.base}/${path}`, signal })).body;
  }
}
