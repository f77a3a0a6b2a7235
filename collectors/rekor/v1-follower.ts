import type { CloudEvent } from '../../core/index.js';
import { type Checkpoint, TlogError, verifyConsistency } from '../../core/tlog/index.js';
import { verifyCheckpoint } from '../../trust/index.js';
import { RekorError } from './errors.js';
import type { Cursor, Follower, FollowerHost } from './host.js';
import { hexBytes, RekorV1Client, RETRIEVE_MAX, type V1LogEntry } from './v1-client.js';
import { verifyV1Entry } from './verify-entry.js';

/**
 * Rekor v1 round:
 *   1. GET /api/v1/log; verify the signed tree head with the log key; it must match treeSize/rootHash.
 *   2. Compare with the cursor's head: smaller = shrink, same size + other root = fork, larger =
 *      consistency proof (GET /api/v1/log/proof) verified against both roots. Only then is the new
 *      head published (tlog.checkpoint) and remembered.
 *   3. Entries [verified, size) in batches, `concurrency` batches fetched ahead, processed in order.
 *      Each entry's inclusion proof names the tree size it was computed for (often newer than our
 *      head): that tree head is first verified (its signed checkpoint + a consistency proof with ours)
 *      and only then used as the anchor. An entry that fails verification is reported and never
 *      published; the cursor moves past it so that one bad entry cannot stall the log forever.
 */
export class V1Follower implements Follower {
  private client: RekorV1Client | undefined;

  async round(host: FollowerHost): Promise<void> {
    const { config, key } = host;
    this.client ??= new RekorV1Client(config.url, host.http);
    const client = this.client;
    const info = await host.retry('log info', (s) => client.logInfo(s));
    const { checkpoint: cp, note } = verifyCheckpoint(info.signedTreeHead, key, { origin: config.origin });
    if (cp.size !== info.treeSize || cp.rootHash.toString('hex') !== info.rootHash.toLowerCase()) {
      throw new RekorError('REKOR_RESPONSE_MALFORMED', 'signed tree head does not match treeSize/rootHash of the response');
    }
    host.setOrigin(cp.origin);
    const prev = host.cursor();
    const offset = info.shardOffset;

    // Verified tree heads of this round, by size: the anchors entry proofs may use.
    const roots = new Map<number, Buffer>();
    let latest = await this.advanceHead(host, prev?.head, cp, note, info.treeID);
    roots.set(latest.size, latest.root);
    if (prev?.head && prev.head.size !== latest.size) roots.set(prev.head.size, Buffer.from(prev.head.rootHash, 'base64'));

    let cursor: Cursor = prev ?? { fetched: 0, verified: startIndex(config.start, offset, cp.size) };
    if (cursor.verified < offset) cursor = { ...cursor, verified: offset };
    cursor = { ...cursor, head: { origin: cp.origin, size: latest.size, rootHash: latest.rootHash } };
    if (!prev || prev.head?.size !== latest.size) await host.commit([], cursor);

    const end = offset + cp.size;
    const anchor = async (size: number, rootHex: string, proofNote: string | undefined): Promise<void> => {
      const known = roots.get(size);
      const root = hexBytes(rootHex, 'inclusion root');
      if (known) {
        if (!known.equals(root)) throw new TlogError('TLOG_CONSISTENCY_MISMATCH', `two different roots for tree size ${size}`);
        return;
      }
      if (!proofNote) throw new RekorError('REKOR_ENTRY_MALFORMED', `inclusion proof for size ${size} carries no checkpoint`);
      const other = verifyCheckpoint(proofNote, key, { origin: cp.origin }).checkpoint;
      if (other.size !== size || !other.rootHash.equals(root))
        throw new RekorError('REKOR_ENTRY_MALFORMED', 'inclusion proof checkpoint does not match its root');
      if (size > latest.size) {
        latest = await this.advanceHead(host, { origin: cp.origin, size: latest.size, rootHash: latest.rootHash }, other, proofNote, info.treeID);
      } else {
        const proof = await host.retry('consistency proof', (s) => client.consistencyProof(size, latest.size, info.treeID, s));
        verifyConsistency(size, latest.size, proof, root, latest.root);
      }
      roots.set(size, root);
    };

    // Fetch ahead, process in order. Batches are computed on demand and a batch's promise is
    // dropped once processed: a backlog of millions of entries must not stay on the heap.
    const first = cursor.verified;
    const count = Math.max(0, Math.ceil((end - first) / config.batchSize));
    const batch = (bi: number): [number, number] => [first + bi * config.batchSize, Math.min(end, first + (bi + 1) * config.batchSize)];
    const inflight = new Map<number, Promise<V1LogEntry[]>>();
    const fetchBatch = (bi: number): void => {
      const [from, to] = batch(bi);
      inflight.set(bi, this.fetchRange(host, from, to));
    };
    for (let i = 0; i < Math.min(config.concurrency, count); i++) fetchBatch(i);
    for (let bi = 0; bi < count; bi++) {
      if (host.signal.aborted) {
        for (const p of inflight.values()) void p.catch(() => undefined);
        return;
      }
      const [from, to] = batch(bi);
      const fetched = inflight.get(bi)!;
      inflight.delete(bi);
      if (bi + config.concurrency < count) fetchBatch(bi + config.concurrency);
      let entries: V1LogEntry[];
      try {
        entries = await fetched;
      } catch (err) {
        for (const p of inflight.values()) void p.catch(() => undefined); // abandoned: next round refetches
        throw err;
      }
      cursor = { ...cursor, fetched: Math.max(cursor.fetched, to) };
      const events: CloudEvent[] = [];
      const byIndex = new Map(entries.map((e) => [e.logIndex, e]));
      for (let idx = from; idx < to; idx++) {
        const e = byIndex.get(idx);
        if (!e) {
          events.push(host.anomalyEvent(new RekorError('REKOR_RESPONSE_MALFORMED', `log did not return entry ${idx}`), { logIndex: idx }));
          continue;
        }
        try {
          const p = e.verification?.inclusionProof;
          if (p) await anchor(p.treeSize, p.rootHash, p.checkpoint);
          const v = verifyV1Entry(e, idx, {
            key,
            shardOffset: offset,
            verifySet: config.verifySet,
            log: { origin: cp.origin, url: host.publicUrl },
            verifiedRoot: (n) => roots.get(n),
          });
          for (const w of v.warnings) events.push(host.anomalyEvent(w, { logIndex: idx, uuid: e.uuid }));
          events.push(host.entryEvent(v.data));
        } catch (err) {
          if (host.signal.aborted) {
            for (const p of inflight.values()) void p.catch(() => undefined);
            return;
          }
          // Only a verdict on the entry itself lets the cursor move past it. A transport or bus
          // failure (e.g. fetching the consistency proof for its anchor) stops the round before
          // the commit, so the entry is retried at the next poll instead of being skipped.
          if (!(err instanceof TlogError || err instanceof RekorError)) throw err;
          events.push(host.anomalyEvent(err, { logIndex: idx, uuid: e.uuid }));
        }
      }
      cursor = { ...cursor, verified: to, head: { origin: cp.origin, size: latest.size, rootHash: latest.rootHash } };
      await host.commit(events, cursor);
    }
  }

  /**
   * Verifies `next` against the previous verified head and publishes it. Returns the head to use.
   * Throws TLOG_TREE_SHRANK / TLOG_CONSISTENCY_MISMATCH (fork) / proof errors without moving anything.
   */
  private async advanceHead(
    host: FollowerHost,
    prev: Cursor['head'],
    next: Checkpoint,
    note: string,
    treeID: string,
  ): Promise<{ size: number; root: Buffer; rootHash: string }> {
    const out = { size: next.size, root: next.rootHash, rootHash: next.rootHash.toString('base64') };
    if (!prev) {
      await host.checkpointVerified(next, note, undefined);
      return out;
    }
    const prevRoot = Buffer.from(prev.rootHash, 'base64');
    if (next.size < prev.size) throw new TlogError('TLOG_TREE_SHRANK', `tree shrank from ${prev.size} to ${next.size}`);
    if (next.size === prev.size) {
      if (!prevRoot.equals(next.rootHash)) throw new TlogError('TLOG_CONSISTENCY_MISMATCH', `two different roots for tree size ${next.size}`);
      await host.checkpointUnchanged(next, note);
      return out;
    }
    if (prev.size > 0) {
      const client = this.client!;
      const proof = await host.retry('consistency proof', (s) => client.consistencyProof(prev.size, next.size, treeID, s));
      verifyConsistency(prev.size, next.size, proof, prevRoot, next.rootHash);
    }
    await host.checkpointVerified(next, note, prev.size);
    return out;
  }

  /** Fetches [from, to) in retrieve calls of at most 10 indexes, in parallel within the batch. */
  private async fetchRange(host: FollowerHost, from: number, to: number): Promise<V1LogEntry[]> {
    const client = this.client!;
    const calls: Promise<V1LogEntry[]>[] = [];
    for (let i = from; i < to; i += RETRIEVE_MAX) {
      const idx = Array.from({ length: Math.min(RETRIEVE_MAX, to - i) }, (_, k) => i + k);
      calls.push(host.retry('entries', (s) => client.entries(idx, s)));
    }
    return (await Promise.all(calls)).flat();
  }
}

function startIndex(start: FollowerHost['config']['start'], offset: number, size: number): number {
  if (start === 'now') return offset + size;
  if (start === 'beginning') return offset;
  return start.index;
}
