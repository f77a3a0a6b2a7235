import { z } from 'zod';
import type { HttpClient } from '../../core/index.js';
import { CtError } from './errors.js';
import type { SignedTreeHead } from './log-key.js';

/**
 * The RFC 6962 §4 read API of a CT log (get-sth, get-sth-consistency, get-proof-by-hash,
 * get-entries, get-roots). Only the wire and its shapes: signatures and proofs are verified by
 * the follower. HTTP policy (rate limit, timeout, body cap, 429/Retry-After classification) is the
 * HttpClient's; retries are the caller's (core/retry).
 */
const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const sthSchema = z.object({
  tree_size: z.number().int().nonnegative(),
  timestamp: z.number().int().nonnegative(),
  sha256_root_hash: b64,
  tree_head_signature: b64,
});
const consistencySchema = z.object({ consistency: z.array(b64).max(64) });
const proofSchema = z.object({ leaf_index: z.number().int().nonnegative(), audit_path: z.array(b64).max(64) });
const rootsSchema = z.object({ certificates: z.array(b64) });

export interface RawEntry {
  leafInput: Buffer;
  extraData: Buffer;
}

const buf = (s: string): Buffer => Buffer.from(s, 'base64');

/**
 * Strict base64 for the bulk of get-entries (two fields per entry, ~2 KB each), without a regex
 * pass over every byte. Deliberately stricter than the `b64` regex of the other endpoints: padding
 * is required (RFC 6962 logs pad; an unpadded field fails the page, which is retried/reported).
 * Node's decoder skips characters outside the alphabet, so a string with any is caught by the
 * decoded length; it also takes the base64url letters, refused here by name.
 */
function strictBuf(s: unknown, what: string): Buffer {
  if (typeof s !== 'string' || s.length % 4 !== 0 || s.includes('-') || s.includes('_'))
    throw new CtError('CT_RESPONSE_MALFORMED', `get-entries answer has an unexpected shape (${what})`);
  const b = Buffer.from(s, 'base64');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  if (b.length !== (s.length / 4) * 3 - pad) throw new CtError('CT_RESPONSE_MALFORMED', `get-entries answer has an unexpected shape (${what})`);
  return b;
}

export class Rfc6962Client {
  private readonly base: string;
  constructor(
    url: string,
    private readonly http: HttpClient,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  private async get<T>(path: string, schema: z.ZodType<T>, signal: AbortSignal | undefined): Promise<T> {
    const res = await this.http.request({ url: `${this.base}/ct/v1/${path}`, signal });
    const parsed = schema.safeParse(res.json());
    if (!parsed.success) throw new CtError('CT_RESPONSE_MALFORMED', `${path.split('?')[0]} answer has an unexpected shape`, parsed.error);
    return parsed.data;
  }

  async getSth(signal?: AbortSignal): Promise<SignedTreeHead> {
    const r = await this.get('get-sth', sthSchema, signal);
    return { treeSize: r.tree_size, timestamp: r.timestamp, rootHash: buf(r.sha256_root_hash), signature: buf(r.tree_head_signature) };
  }

  async getSthConsistency(first: number, second: number, signal?: AbortSignal): Promise<Buffer[]> {
    return (await this.get(`get-sth-consistency?first=${first}&second=${second}`, consistencySchema, signal)).consistency.map(buf);
  }

  async getProofByHash(leafHash: Buffer, treeSize: number, signal?: AbortSignal): Promise<{ index: number; path: Buffer[] }> {
    const hash = encodeURIComponent(leafHash.toString('base64'));
    const r = await this.get(`get-proof-by-hash?hash=${hash}&tree_size=${treeSize}`, proofSchema, signal);
    return { index: r.leaf_index, path: r.audit_path.map(buf) };
  }

  /** Entries [start, end] inclusive, as the log answers: possibly FEWER than asked (logs cap a page). */
  async getEntries(start: number, end: number, signal?: AbortSignal): Promise<RawEntry[]> {
    const res = await this.http.request({ url: `${this.base}/ct/v1/get-entries?start=${start}&end=${end}`, signal });
    const entries = res.json<{ entries?: unknown } | null>()?.entries;
    if (!Array.isArray(entries)) throw new CtError('CT_RESPONSE_MALFORMED', 'get-entries answer has an unexpected shape (entries)');
    if (entries.length > end - start + 1) throw new CtError('CT_RESPONSE_MALFORMED', `get-entries returned ${entries.length} entries for ${end - start + 1}`);
    return entries.map((e: unknown, i): RawEntry => {
      const o = (typeof e === 'object' && e !== null ? e : {}) as { leaf_input?: unknown; extra_data?: unknown };
      return { leafInput: strictBuf(o.leaf_input, `entries[${i}].leaf_input`), extraData: strictBuf(o.extra_data, `entries[${i}].extra_data`) };
    });
  }

  async getRoots(signal?: AbortSignal): Promise<Buffer[]> {
    return (await this.get('get-roots', rootsSchema, signal)).certificates.map(buf);
  }
}
