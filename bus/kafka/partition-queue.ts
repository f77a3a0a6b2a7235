/**
 * One assigned partition's records between dispatch and commit, in offset order. A record leaves
 * the queue only once it and every record before it finished: popDone() returns the last record of
 * that done prefix, the one whose offset + 1 may be committed.
 */
export class PartitionQueue<M extends { offset: bigint } = { offset: bigint }> {
  private entries: { msg: M; done: boolean }[] = [];
  private head = 0;
  /** Offset after the last dispatched record: anything below it was already dispatched. */
  next: bigint | undefined;
  /** In this member's latest assignment (records of other partitions are not dispatched). */
  assigned = true;
  /** Records dispatched and not settled. */
  inflight = 0;
  /** Per key, the promise of its last dispatched record: the next one of that key runs after it. */
  readonly chains = new Map<string, Promise<void>>();

  constructor(
    /** topic:partition on the wire. */
    readonly key: string,
    /** The topic as callers name it (without the wire prefix). */
    readonly logicalTopic: string,
  ) {}

  push(msg: M): { msg: M; done: boolean } {
    const entry = { msg, done: false };
    this.entries.push(entry);
    this.next = msg.offset + 1n;
    return entry;
  }

  popDone(): M | undefined {
    let last: M | undefined;
    while (this.head < this.entries.length && this.entries[this.head]!.done) last = this.entries[this.head++]!.msg;
    // Compact now and then instead of shifting on every record.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return last;
  }
}
