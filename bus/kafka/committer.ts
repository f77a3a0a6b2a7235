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
