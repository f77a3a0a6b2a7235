import type { Consumer } from '@platformatic/kafka';
import type { Logger } from '../../core/index.js';
import { toBusError } from './errors.js';
import type { HealthTracker } from './health.js';

/** What a commit needs of a consumed record. */
export interface Committable {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
}

/**
 * One subscription's offset commits: at most one OffsetCommit request in flight, carrying the
 * newest committable record of every partition that moved since the last one. Records handed in
 * while a request runs coalesce into the next (per partition, the later one wins: a partition's
 * committable record only moves forward). `send` must not throw.
 */
export class Committer<M extends Committable> {
  private readonly pending = new Map<string, M>();
  private running: Promise<void> | undefined;

  constructor(private readonly send: (records: M[]) => Promise<void>) {}

  /** Commits through `record` (offset + 1) for its partition, `key` = topic:partition. */
  add(key: string, record: M): void {
    this.pending.set(key, record);
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending.values()];
      this.pending.clear();
      await this.send(batch);
    }
    this.running = undefined;
  }

  /** Resolves once no commit is running or waiting. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}

/**
 * The Committer's `send` for a consumer: commits through each record (offset + 1) and never throws.
 * Straight to the group coordinator (bounded retries, rejoin on a stale generation), not
 * message.commit(): the stream's queue skips flushes while the group rejoins and can leave a commit
 * pending forever when its stream breaks meanwhile.
 */
export function offsetCommitSender(
  consumer: Pick<Consumer<string, Buffer, string, string>, 'commit'>,
  health: HealthTracker,
  log: Logger,
): (records: Committable[]) => Promise<void> {
  return async (records) => {
    try {
      await consumer.commit({
        offsets: records.map(({ topic, partition, offset, leaderEpoch }) => ({ topic, partition, offset: offset + 1n, leaderEpoch })),
      });
      health.ok();
    } catch (err) {
      // Not thrown: a later commit covers this one, and if none happens the records are
      // redelivered (at-least-once).
      const e = toBusError(err, 'BUS_COMMIT_FAILED', 'commit');
      if (e.retriable) health.failed(`commit failed: ${e.code}`);
      log.warn({ partitions: records.map((r) => `${r.topic}:${r.partition}`), code: e.code }, 'offset commit failed; records may be redelivered');
    }
  };
}
