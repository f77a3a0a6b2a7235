import { CompactRange, leafHash, rootFromInclusionProof, TlogError, verifyConsistency } from '../../core/tlog/index.js';
import { CtError } from './errors.js';
import { type AuditedEntry, type CtCursor, type CtFollower, type CtFollowerHost, type TreeHeadSeen, withEvidence } from './follower.js';
import { type StartAt, startIndex } from '../shared/log-collector/index.js';
import { parseRfc6962Entry } from './leaf.js';
import { type CtLogKey, verifySth } from './log-key.js';
import type { RawEntry, Rfc6962Client } from './rfc6962-client.js';

/** A downloaded batch: its entries, their leaf hashes, and (short of the head) its last leaf's inclusion proof. */
interface Downloaded {
  raw: RawEntry[];
  hashes: Buffer[];
  proof?: InclusionProof;
}
type InclusionProof = Awaited<ReturnType<Rfc6962Client['getProofByHash']>>;

export interface Rfc6962FollowerOptions {
  origin: string;
  batchSize: number;
  /** Batches downloaded ahead of the sequencer. */
  concurrency: number;
  start: StartAt;
  /** Backfill: stop at this index (exclusive) instead of the tree head. */
  end?: number;
}

/**
 * One round over an RFC 6962 log as a full auditor:
 *   1. get-sth; the signature must verify with the log key.
 *   2. Against the cursor's head: a smaller tree or another root at the same size is a rewind or
 *      fork (both heads as evidence); a larger tree needs a verified get-sth-consistency proof.
 *   3. Entries [verified, size) in batches downloaded by parallel workers (the HttpClient's token
 *      bucket paces them); a short get-entries page is continued, never taken as the whole batch.
 *      The sequencer folds them in log order into the compact range [0, verified) and the batch is
 *      audited before anything moves: the last batch must reproduce the signed root; an earlier
 *      one must equal the left side of the log's inclusion proof of its last leaf, a proof that
 *      itself leads to the signed root. Only then is it published and the cursor moved.
 */
export class Rfc6962Follower implements CtFollower {
  constructor(
    private readonly client: Rfc6962Client,
    private readonly key: CtLogKey,
    private readonly opts: Rfc6962FollowerOptions,
  ) {}

  async round(host: CtFollowerHost): Promise<void> {
    const client = this.client;
    const sth = await host.retry('get-sth', (s) => client.getSth(s));
    const head: TreeHeadSeen = {
      origin: this.opts.origin,
      size: sth.treeSize,
      rootHash: sth.rootHash,
      timestamp: sth.timestamp,
      raw: JSON.stringify({
        tree_size: sth.treeSize,
        timestamp: sth.timestamp,
        sha256_root_hash: sth.rootHash.toString('base64'),
        tree_head_signature: sth.signature.toString('base64'),
      }),
    };
    verifySth(this.key, sth);
    const prev = host.cursor();
    await this.advanceHead(host, prev?.head, head);

    let cursor: CtCursor = prev ?? { fetched: 0, verified: startIndex(this.opts.start, head.size) };
    const range = cursor.range ? CompactRange.fromJSON(cursor.range) : await this.seedRange(host, cursor.verified, head);
    cursor = {
      ...cursor,
      head: { origin: head.origin, size: head.size, rootHash: head.rootHash.toString('base64'), timestamp: sth.timestamp },
      range: range.toJSON(),
    };
    if (!prev || prev.head?.size !== head.size || !prev.range) await host.commit({ head, first: cursor.verified, entries: [] }, cursor);

    const end = Math.min(head.size, this.opts.end ?? head.size);
    const batches: [number, number][] = [];
    for (let a = cursor.verified; a < end; a += this.opts.batchSize) batches.push([a, Math.min(end, a + this.opts.batchSize)]);
    // Download window: up to `concurrency` batches in flight ahead of the in-order sequencer. A
    // batch short of the head also fetches the inclusion proof of its last leaf in its window slot:
    // fetched ahead, it is still checked in order below, before anything of the batch is published
    // (the sequencer would otherwise wait a round trip per batch: the bench's top cost).
    const inflight: Promise<Downloaded>[] = [];
    let next = 0;
    const fill = (): void => {
      while (next < batches.length && inflight.length < this.opts.concurrency) {
        const [a, b] = batches[next++]!;
        const p = this.download(host, a, b).then(async (raw): Promise<Downloaded> => {
          const hashes = raw.map((e) => leafHash(e.leafInput));
          const last = hashes[hashes.length - 1]!;
          if (b === head.size) return { raw, hashes };
          return { raw, hashes, proof: await host.retry('get-proof-by-hash', (s) => this.client.getProofByHash(last, head.size, s)) };
        });
        p.catch(() => undefined); // awaited in order below; avoid unhandled rejections meanwhile
        inflight.push(p);
      }
    };
    fill();
    for (const [a, b] of batches) {
      if (host.signal.aborted) return;
      const { raw, hashes, proof } = await inflight.shift()!;
      fill();
      cursor = { ...cursor, fetched: Math.max(cursor.fetched, b) };
      const audited = range.clone();
      audited.appendMany(hashes);
      await this.audit(host, audited, hashes[hashes.length - 1]!, b, head, proof);
      range.appendMany(hashes);
      cursor = { ...cursor, verified: b, range: range.toJSON() };
      const entries: AuditedEntry[] = raw.map((e, i) => {
        try {
          return { index: a + i, leafHash: hashes[i]!, entry: parseRfc6962Entry(e.leafInput, e.extraData) };
        } catch (error) {
          return { index: a + i, leafHash: hashes[i]!, error };
        }
      });
      // Only now, with the batch audited against the signed root, does it go downstream.
      await host.commit({ head, first: a, entries }, cursor);
    }
  }

  /** Leaves [a, b), continuing short pages; an empty page is a retriable CT_ENTRIES_SHORT. */
  private async download(host: CtFollowerHost, a: number, b: number): Promise<RawEntry[]> {
    const out: RawEntry[] = [];
    while (a + out.length < b) {
      const from = a + out.length;
      const page = await host.retry('get-entries', async (s) => {
        const got = await this.client.getEntries(from, b - 1, s);
        if (got.length === 0) throw new CtError('CT_ENTRIES_SHORT', `get-entries ${from}..${b - 1} returned no entries`);
        return got;
      });
      out.push(...page);
    }
    return out;
  }

  /** Throws unless the compact range [0, end) is the left side of the signed tree `head`. */
  private async audit(host: CtFollowerHost, range: CompactRange, last: Buffer, end: number, head: TreeHeadSeen, proof?: InclusionProof): Promise<void> {
    if (end === head.size) {
      if (!range.root().equals(head.rootHash))
        throw new TlogError('TLOG_ROOT_MISMATCH', `entries [0, ${end}) do not reproduce the signed root of size ${head.size}`);
      return;
    }
    const proven = await this.provenPrefix(host, last, end, head, proof);
    if (!proven.equals(range)) throw new TlogError('TLOG_ROOT_MISMATCH', `entries up to ${end} are not the ones the signed tree of size ${head.size} holds`);
  }

  /**
   * The compact range [0, end) the log commits to under `head`, from the inclusion proof of leaf
   * end-1 (its left siblings are exactly the subtrees of [0, end-1)). The proof must lead to the
   * signed root, so nothing in the returned range is taken on trust.
   */
  private async provenPrefix(host: CtFollowerHost, last: Buffer, end: number, head: TreeHeadSeen, fetched?: InclusionProof): Promise<CompactRange> {
    const proof = fetched ?? (await host.retry('get-proof-by-hash', (s) => this.client.getProofByHash(last, head.size, s)));
    const i = end - 1;
    if (proof.index !== i) throw new CtError('CT_RESPONSE_MALFORMED', `get-proof-by-hash answered index ${proof.index} for leaf ${i}`);
    const root = rootFromInclusionProof(last, i, head.size, proof.path);
    if (!root.equals(head.rootHash))
      throw new TlogError('TLOG_INCLUSION_MISMATCH', `inclusion proof of leaf ${i} does not lead to the signed root of size ${head.size}`);
    const inner = (i ^ (head.size - 1)).toString(2).length - (i ^ (head.size - 1) ? 0 : 1);
    const left = proof.path.filter((_, j) => j >= inner || Math.floor(i / 2 ** j) % 2 === 1).reverse();
    const range = CompactRange.fromHashes(0, i, left);
    range.append(last);
    return range;
  }

  /** The verified compact range [0, k) when a log is first followed from index k. */
  private async seedRange(host: CtFollowerHost, k: number, head: TreeHeadSeen): Promise<CompactRange> {
    if (k === 0) return CompactRange.empty(0);
    const [e] = await this.download(host, k - 1, k);
    return this.provenPrefix(host, leafHash(e!.leafInput), k, head);
  }

  private async advanceHead(host: CtFollowerHost, prev: CtCursor['head'], next: TreeHeadSeen): Promise<void> {
    if (!prev) return host.headVerified(next, undefined);
    const evidence = { previous: prev, current: { origin: next.origin, size: next.size, rootHash: next.rootHash.toString('base64'), sth: next.raw } };
    const prevRoot = Buffer.from(prev.rootHash, 'base64');
    if (next.size < prev.size) throw withEvidence(new TlogError('TLOG_TREE_SHRANK', `tree shrank from ${prev.size} to ${next.size}`), evidence);
    if (next.size === prev.size) {
      if (!prevRoot.equals(next.rootHash))
        throw withEvidence(new TlogError('TLOG_CONSISTENCY_MISMATCH', `two different roots for tree size ${next.size}`), evidence);
      return host.headUnchanged(next);
    }
    if (prev.size > 0) {
      const proof = await host.retry('get-sth-consistency', (s) => this.client.getSthConsistency(prev.size, next.size, s));
      try {
        verifyConsistency(prev.size, next.size, proof, prevRoot, next.rootHash);
      } catch (err) {
        throw withEvidence(err, evidence);
      }
    }
    await host.headVerified(next, prev.size);
  }
}
