import type { z } from 'zod';
import { RekorError } from './errors.js';
import { type HttpClient, safeUrl } from '../../core/index.js';
import { consistencyProofSchema, logEntrySchema, logInfoSchema } from './v1-schemas.js';

/**
 * Adapter for the Rekor v1 REST API (sigstore/rekor openapi.yaml). It only speaks the wire:
 * every response is checked against a schema (v1-schemas.ts, typed against @sigstore/rekor-types;
 * REKOR_RESPONSE_MALFORMED otherwise); verification lives in the collector. Retries are the
 * caller's (withRetry), driven by HttpError.retriable.
 */
export type V1LogInfo = z.infer<typeof logInfoSchema> & {
  /** Global log index of the active shard's tree index 0 (sum of inactive shard sizes). */
  shardOffset: number;
};

export type V1LogEntry = z.infer<typeof logEntrySchema> & { uuid: string };

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const res = schema.safeParse(value);
  if (!res.success) {
    const issue = res.error.issues[0];
    throw new RekorError('REKOR_RESPONSE_MALFORMED', `${what}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  return res.data;
}

/** Rekor limits POST /api/v1/log/entries/retrieve to 10 indexes. */
export const RETRIEVE_MAX = 10;

export class RekorV1Client {
  private readonly base: string;
  constructor(
    url: string,
    private readonly http: HttpClient,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /** GET /api/v1/log: the active shard's signed tree head. */
  async logInfo(signal?: AbortSignal): Promise<V1LogInfo> {
    const url = `${this.base}/api/v1/log`;
    const info = parse(logInfoSchema, await this.getJson(url, signal), `${safeUrl(url)}`);
    const shardOffset = (info.inactiveShards ?? []).reduce((a, s) => a + s.treeSize, 0);
    return { ...info, shardOffset };
  }

  /** GET /api/v1/log/proof: consistency proof between two sizes of the active tree (hashes as bytes). */
  async consistencyProof(firstSize: number, lastSize: number, treeID: string, signal?: AbortSignal): Promise<Buffer[]> {
    const url = `${this.base}/api/v1/log/proof?firstSize=${firstSize}&lastSize=${lastSize}&treeID=${encodeURIComponent(treeID)}`;
    const proof = parse(consistencyProofSchema, await this.getJson(url, signal), `${safeUrl(url)}`);
    return proof.hashes.map((h) => hexBytes(h, 'consistency proof hash'));
  }

  /** POST /api/v1/log/entries/retrieve for up to 10 global log indexes; returns what the log sent. */
  async entries(logIndexes: number[], signal?: AbortSignal): Promise<V1LogEntry[]> {
    const url = `${this.base}/api/v1/log/entries/retrieve`;
    const res = await this.http.request({ url, method: 'POST', body: { logIndexes }, signal });
    const list = res.json();
    // Named once per call, not per entry: the name is only read when an entry is refused.
    const where = safeUrl(url);
    if (!Array.isArray(list)) throw new RekorError('REKOR_RESPONSE_MALFORMED', `${where}: expected an array of entries`);
    const out: V1LogEntry[] = [];
    for (const item of list) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new RekorError('REKOR_RESPONSE_MALFORMED', `${where}: entry is not an object`);
      }
      for (const [uuid, e] of Object.entries(item as Record<string, unknown>)) out.push({ uuid, ...parse(logEntrySchema, e, `${where} entry`) });
    }
    return out;
  }

  private async getJson(url: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.http.request({ url, signal });
    return res.json();
  }
}

export function hexBytes(h: string, what: string): Buffer {
  // Buffer.from stops at the first non-hex pair, so a length check is a full validity check.
  const b = Buffer.from(h, 'hex');
  if (b.length * 2 !== h.length) throw new RekorError('REKOR_RESPONSE_MALFORMED', `${what} is not hex`);
  return b;
}
