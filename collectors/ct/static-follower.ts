import { type Checkpoint, openCheckpoint, parseNote, parseCheckpoint, sha256Digest, TlogError } from '../../core/tlog/index.js';
import { type TileEntryFormat, TileFollower, TileLogClient, type TileFetch } from '../shared/tiles/index.js';
import { type StartAt } from '../shared/log-collector/index.js';
import { CtError } from './errors.js';
import { type AuditedEntry, type CtFollower, type CtFollowerHost, type TreeHeadSeen, withEvidence } from './follower.js';
import { parseDataTile, type TileLeaf } from './leaf.js';
import type { CtLogKey } from './log-key.js';
import { rfc6962NoteVerifier } from './static-note.js';

/** static-ct-api data tiles: TileLeaf entries whose Merkle leaf is the rebuilt MerkleTreeLeaf. */
export const staticCtEntries: TileEntryFormat<TileLeaf> = {
  tileDir: 'data',
  decode: (tile, n, width) => parseDataTile(tile, n, width),
  leafInput: (e) => e.merkleTreeLeaf,
};

export interface StaticFollowerOptions {
  /** Expected checkpoint origin; absent: the origin the log's key signed. */
  origin?: string;
  batchSize: number;
  start: StartAt;
}

/**
 * A Static CT API log (c2sp.org/static-ct-api), audited by the shared tile follower
 * (collectors/shared/tiles: checkpoint, consistency from hash tiles, every root rebuilt from the
 * leaves). CT's side: the checkpoint is verified with the log's RFC 6962 key (an
 * RFC6962NoteSignature), the data tiles are TileLeaf structures, and each entry's chain comes
 * from issuer/<sha256> (fetched once per issuer, checked against its fingerprint).
 */
export class StaticFollower implements CtFollower {
  private readonly tiles: TileFollower<TileLeaf>;
  private readonly client: TileLogClient;
  private readonly issuers = new Map<string, Promise<Buffer>>();

  constructor(
    monitoringUrl: string,
    fetch: TileFetch,
    private readonly key: CtLogKey,
    private readonly opts: StaticFollowerOptions,
  ) {
    this.client = new TileLogClient(monitoringUrl, fetch);
    this.tiles = new TileFollower(this.client, staticCtEntries, { batchSize: opts.batchSize, start: opts.start });
  }

  async round(host: CtFollowerHost): Promise<void> {
    try {
      await this.audit(host);
    } catch (err) {
      // A rewind or fork: report both tree heads (the verified one and the one just served).
      if (err instanceof TlogError && (err.code === 'TLOG_TREE_SHRANK' || err.code === 'TLOG_CONSISTENCY_MISMATCH')) {
        throw withEvidence(err, { previous: host.cursor()?.head, current: { checkpoint: this.lastNote } });
      }
      throw err;
    }
  }

  private lastNote = '';

  private async audit(host: CtFollowerHost): Promise<void> {
    const seen = (cp: Checkpoint): TreeHeadSeen => ({ origin: cp.origin, size: cp.size, rootHash: cp.rootHash, raw: this.lastNote });
    await this.tiles.round({
      signal: host.signal,
      cursor: () => host.cursor(),
      retry: (what, fn) => host.retry(what, fn),
      openCheckpoint: (note) => {
        this.lastNote = note;
        const origin = this.opts.origin ?? parseCheckpoint(parseNote(note).text).origin;
        return openCheckpoint(note, [rfc6962NoteVerifier(origin, this.key)], this.opts.origin ? { origin: this.opts.origin } : {}).checkpoint;
      },
      checkpointVerified: (cp, _note, consistentWith) => host.headVerified(seen(cp), consistentWith),
      checkpointUnchanged: (cp) => host.headUnchanged(seen(cp)),
      commit: async (batch, next) => {
        const entries: AuditedEntry[] = [];
        for (const [i, e] of batch.entries.entries()) {
          const index = batch.first + i;
          const chain = await Promise.all(e.chainFingerprints.map((fp) => this.issuer(host, fp)));
          entries.push({ index, leafHash: batch.leafHashes[i]!, entry: { leaf: e.leaf, certDer: e.certDer, chain } });
        }
        await host.commit({ head: seen(batch.checkpoint), first: batch.first, entries }, next);
      },
    });
  }

  private issuer(host: CtFollowerHost, fp: Buffer): Promise<Buffer> {
    const hex = fp.toString('hex');
    let p = this.issuers.get(hex);
    if (!p) {
      p = host.retry('issuer', async (s) => {
        const der = await this.client.get(`issuer/${hex}`, s);
        if (!sha256Digest(der).equals(fp)) throw new CtError('CT_RESPONSE_MALFORMED', `issuer ${hex} does not hash to its fingerprint`);
        return der;
      });
      p.catch(() => this.issuers.delete(hex));
      this.issuers.set(hex, p);
    }
    return p;
  }
}
