import type { CloudEvent } from '../../core/index.js';
import { verifyCheckpoint } from '../../trust/index.js';
import { type TileBatch, TileFollower, TileLogClient, tlogTilesEntries } from '../shared/tiles/index.js';
import { classify } from './body.js';
import { RekorError } from './errors.js';
import type { Follower, FollowerHost } from './host.js';

/**
 * Rekor v2 (and any C2SP tlog-tiles log of Rekor entries): the shared full-auditor tile follower
 * (collectors/shared/tiles: checkpoint, tile-based consistency, roots rebuilt from every leaf)
 * with Rekor's side of it: the log key, the Rekor v2 entry decoding into entry events, and the
 * collector's cursor and bus. An entry that is not a JSON object with a kind is still in the log
 * (its leaf verified): it is reported as an anomaly and the cursor moves past it.
 */
export class V2Follower implements Follower {
  private follower: TileFollower<Buffer> | undefined;

  async round(host: FollowerHost): Promise<void> {
    const { config, key } = host;
    this.follower ??= new TileFollower(
      new TileLogClient(config.url, async (url, signal) => (await host.http.request({ url, signal })).body),
      tlogTilesEntries,
      { batchSize: config.batchSize, start: config.start },
    );
    await this.follower.round({
      signal: host.signal,
      cursor: () => host.cursor(),
      retry: (what, fn) => host.retry(what, fn),
      openCheckpoint: (note) => {
        const { checkpoint } = verifyCheckpoint(note, key, { origin: config.origin });
        host.setOrigin(checkpoint.origin);
        return checkpoint;
      },
      checkpointVerified: (cp, note, consistentWith) => host.checkpointVerified(cp, note, consistentWith),
      checkpointUnchanged: (cp, note) => host.checkpointUnchanged(cp, note),
      commit: (batch, next) => host.commit(entryEvents(host, batch), next),
    });
  }
}

function entryEvents(host: FollowerHost, batch: TileBatch<Buffer>): CloudEvent[] {
  const cp = batch.checkpoint;
  const rootHash = cp.rootHash.toString('base64');
  return batch.entries.map((bytes, i) => {
    const index = batch.first + i;
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as { kind?: unknown }).kind !== 'string') {
      return host.anomalyEvent(new RekorError('REKOR_ENTRY_MALFORMED', `entry ${index} is not a JSON object with a kind`), { logIndex: index });
    }
    const parsed = classify(body as Record<string, unknown>);
    return host.entryEvent({
      log: { origin: cp.origin, url: host.publicUrl },
      uuid: batch.leafHashes[i]!.toString('hex'),
      logIndex: index,
      treeIndex: index,
      kind: parsed.kind,
      ...(parsed.apiVersion ? { apiVersion: parsed.apiVersion } : {}),
      body: parsed.body,
      artifact: { digests: parsed.digests },
      signers: parsed.signers,
      verification: { inclusion: true, set: null, checkpoint: { size: cp.size, rootHash } },
    });
  });
}
