import type { EventEmitter } from 'node:events';
import type { Statement, Transaction } from 'better-sqlite3';
import {
  type BusMetrics,
  Doorbell,
  type Logger,
  processRecord,
  type RawBusRecord,
  type RecordProcessorDeps,
  type RetryPolicy,
  type SubscribeOptions,
  type Subscription,
} from '../../core/index.js';
import type { RecentRecords, StoredRow } from './recent.js';

/** A record about to be appended: its partition chosen, its headers as the column stores them. */
export interface AppendRow {
  topic: string;
  partition: number;
  key: string;
  headers: string | null;
  value: Buffer;
}

export interface Store {
  /** Appends in one transaction; returns the rows as stored, per (topic, partition), offsets ascending. */
  appendTx: Transaction<(rows: AppendRow[], ts: number) => { topic: string; partition: number; rows: StoredRow[] }[]>;
  fetch: Statement;
  end: Statement;
  committed: Statement;
  commit: Statement;
  lag: Statement;
  retention: Statement;
}

interface Deps {
  store: Store;
  recent: RecentRecords;
  partitions: number;
  maxBatch: number;
  /** Records of one partition handled at once (other keys than the ones in flight); 1: strictly in offset order. */
  maxInFlight: number;
  pollIntervalMs: number;
  retry: RetryPolicy;
  wake: EventEmitter;
  metrics: BusMetrics;
  lag: (group: string, topic: string, partition: number, lag: number) => void;
  logger: Logger;
  /** Commits a group's offset (a write: reported to the storage monitor when the disk is full). */
  commit: (group: string, topic: string, partition: number, next: number) => void;
  /** Live members of this subscription's group in this process, for partition assignment (never ephemeral readers). */
  members: () => EmbeddedSubscription[];
  deadLetter: (topic: string, rec: { key: string; value: Buffer; headers: Record<string, string> }) => Promise<void>;
  /** Told when stop() begins (the member leaves the group's assignment at once) and when it ended. */
  onStopping: (s: EmbeddedSubscription) => void;
  onStopped: (s: EmbeddedSubscription) => void;
  /**
   * Exclusive per-(group, topic, partition) lease among this process' members: a member that just
   * got a partition by reassignment waits until the previous owner finished its in-flight records
   * and committed, so one partition is never handled by two members at once.
   */
  claim: (topic: string, partition: number, s: EmbeddedSubscription) => boolean;
  release: (topic: string, partition: number, s: EmbeddedSubscription) => void;
}

/** One partition's fetched rows while handleBatch hands them out. */
interface Batch {
  topic: string;
  p: number;
  /** done[i] = 1 once row i was handled or dead-lettered. */
  done: Uint8Array;
  /** Per dispatched row, its handling (never rejects): a key's next row runs after it. */
  tasks: Promise<void>[];
  /** Per key, the index of its last dispatched row while that one has not settled. */
  last: Map<string, number>;
  failed: boolean;
  inflight: number;
  /** The dispatcher is woken when in flight drops to this. */
  low: number;
  wake: (() => void) | undefined;
}

/**
 * One consumer-group member. Each round it takes its share of (topic, partition) pairs, fetches a
 * bounded batch per partition from the group's committed position, hands the records to
 * processRecord (one key in offset order, other keys concurrently, at most maxInFlight at once:
 * the order the Bus port promises, as the Kafka adapter does), and commits the batch's done prefix.
 *
 * Invariant: the committed offset of a partition moves past a record only after processRecord
 * resolved for it and for every record before it in the partition, i.e. their handlers' effects
 * are durable or they are in the dead-letter topic. A crash before the commit redelivers them
 * (at-least-once).
 */
export class EmbeddedSubscription implements Subscription {
  readonly group: string;
  private paused = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  /**
   * Read positions of an ephemeral reader, which commits nothing. A shared group has none: its
   * position is its committed offset, which another member may have moved meanwhile.
   */
  private readonly positions = new Map<string, number>();
  private readonly doorbell = new Doorbell();
  private readonly onAppend = (): void => this.doorbell.ring();

  private readonly processing: RecordProcessorDeps;

  constructor(
    private readonly opts: SubscribeOptions,
    private readonly deps: Deps,
  ) {
    this.group = opts.group;
    this.processing = {
      group: this.group,
      handler: opts.handler,
      retry: deps.retry,
      raw: opts.raw ?? false,
      deadLetter: deps.deadLetter,
      metrics: deps.metrics,
      logger: deps.logger,
    };
  }

  isStopped(): boolean {
    return this.stopped;
  }

  /** A throw-away reader: it commits nothing and is no member of the group it names. */
  get ephemeral(): boolean {
    return this.opts.ephemeral === true;
  }

  start(): void {
    if (this.opts.fromBeginning === false || this.opts.ephemeral) {
      for (const topic of this.opts.topics) {
        for (let p = 0; p < this.deps.partitions; p++) {
          const end = (this.deps.store.end.get(topic, p) as number | undefined) ?? 0;
          if (this.opts.ephemeral) this.positions.set(`${topic}\0${p}`, this.opts.fromBeginning === true ? 0 : end);
          // A new group starting "from now" records that position, so it survives a restart.
          else if (this.deps.store.committed.get(this.group, topic, p) === undefined) this.deps.store.commit.run(this.group, topic, p, end);
        }
      }
    }
    this.deps.wake.on('append', this.onAppend);
    this.loop = this.run().catch((err: unknown) => this.deps.logger.error({ err }, 'embedded subscription crashed'));
  }

  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.doorbell.ring();
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.deps.onStopping(this);
      this.deps.wake.off('append', this.onAppend);
      this.doorbell.ring();
    }
    await this.loop;
    this.deps.onStopped(this);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let fetched = 0;
      try {
        if (!this.paused) {
          const mine = this.assignment();
          // allSettled: one partition's failure must not start the next round while another
          // partition of this member is still being consumed (it would be consumed twice at once).
          const results = await Promise.allSettled(mine.map(([topic, p]) => this.consumePartition(topic, p)));
          for (const r of results) {
            if (r.status === 'fulfilled') fetched += r.value;
            else this.deps.logger.error({ err: r.reason as unknown }, 'embedded subscription round failed; retrying');
          }
        }
      } catch (err) {
        // A store error (SQLITE_BUSY from another writer, I/O) must not end consumption for good:
        // nothing past the last successful commit is committed, so retry after a poll interval.
        this.deps.logger.error({ err }, 'embedded subscription round failed; retrying');
        fetched = 0;
      }
      if (fetched === 0 && !this.stopped) await this.idle();
    }
  }

  /**
   * Round-robin: pair number i of this subscription's (topic, partition) pairs (topics in order,
   * partitions within) belongs to live member i mod n of the group. An ephemeral reader owns all.
   */
  private ownsPair(i: number, members: readonly EmbeddedSubscription[]): boolean {
    if (this.opts.ephemeral) return true;
    const me = members.indexOf(this);
    return me >= 0 && i % members.length === me;
  }

  private owns(topic: string, p: number): boolean {
    return this.ownsPair(this.opts.topics.indexOf(topic) * this.deps.partitions + p, this.opts.ephemeral ? [] : this.deps.members());
  }

  /** This member's share of the (topic, partition) pairs. */
  private assignment(): [string, number][] {
    const members = this.opts.ephemeral ? [] : this.deps.members();
    const mine: [string, number][] = [];
    let i = 0;
    for (const t of this.opts.topics) for (let p = 0; p < this.deps.partitions; p++) if (this.ownsPair(i++, members)) mine.push([t, p]);
    return mine;
  }

  private position(topic: string, p: number): number {
    if (this.opts.ephemeral) return this.positions.get(`${topic}\0${p}`) ?? 0;
    return (this.deps.store.committed.get(this.group, topic, p) as number | undefined) ?? 0;
  }

  private async consumePartition(topic: string, p: number): Promise<number> {
    if (this.opts.ephemeral) return this.consumeOwned(topic, p);
    if (!this.deps.claim(topic, p, this)) return 0; // the previous owner is still finishing
    try {
      return await this.consumeOwned(topic, p);
    } finally {
      this.deps.release(topic, p, this);
    }
  }

  private async consumeOwned(topic: string, p: number): Promise<number> {
    const from = this.position(topic, p);
    const rows = this.deps.recent.take(topic, p, from, this.deps.maxBatch) ?? (this.deps.store.fetch.all(topic, p, from, this.deps.maxBatch) as StoredRow[]);
    if (rows.length === 0) return 0;
    const done = await this.handleBatch(topic, p, rows);
    const next = done === 0 ? from : rows[done - 1]!.offset + 1;
    if (next !== from) {
      // A failed commit (a full disk) throws: the round is retried from the committed offset, and
      // the records are redelivered to idempotent handlers.
      if (this.opts.ephemeral) this.positions.set(`${topic}\0${p}`, next);
      else this.deps.commit(this.group, topic, p, next);
      const end = (this.deps.store.end.get(topic, p) as number | undefined) ?? next;
      this.deps.lag(this.group, topic, p, end - next);
    }
    return done;
  }

  /**
   * Hands one partition's fetched rows to processRecord and resolves, once nothing is in flight,
   * with the length of the done prefix: the rows that, with every row before them, finished.
   * A key's rows run one after another in offset order; other keys' rows run meanwhile, so a
   * handler that groups its writes (the audit sink's group commit) sees many records at once on
   * a backlog instead of one per partition. Dispatching stops at stop(), pause() or a lost
   * assignment; a failed dead-letter write stops it too, and rows queued behind their key do not
   * start after any of these, so a key never runs past a record that will be redelivered.
   */
  private async handleBatch(topic: string, p: number, rows: StoredRow[]): Promise<number> {
    const limit = this.opts.ephemeral ? 1 : this.deps.maxInFlight; // a tail prints in offset order
    // The dispatcher sleeps at `limit` in flight and wakes at `low`, refilling in bulk: one wake
    // per limit/2 records, not one per record (this loop is the hot path of every consumer).
    const b: Batch = { topic, p, done: new Uint8Array(rows.length), tasks: [], last: new Map(), failed: false, inflight: 0, low: limit >> 1, wake: undefined };
    let i = 0;
    try {
      for (; i < rows.length; i++) {
        if (b.inflight >= limit) await new Promise<void>((r) => (b.wake = r));
        if (b.failed || this.stopped || this.paused || !this.owns(topic, p)) break;
        const row = rows[i]!;
        const before = b.last.get(row.key);
        b.last.set(row.key, i);
        b.inflight++;
        const at = i;
        b.tasks[i] = before === undefined ? this.handleRow(b, row, at) : b.tasks[before]!.then(() => this.handleRow(b, row, at));
      }
    } finally {
      // Even if dispatching threw: the lease is released only once nothing of this batch runs.
      b.low = 0;
      while (b.inflight > 0) await new Promise<void>((r) => (b.wake = r));
    }
    let n = 0;
    while (n < i && b.done[n]) n++;
    return n;
  }

  /** One row of a batch; never rejects (a failure marks the batch failed). */
  private async handleRow(b: Batch, row: StoredRow, at: number): Promise<void> {
    try {
      // A row queued behind its key's previous one starts only if nothing changed meanwhile:
      // after a failure, stop(), pause() or a lost assignment it stays undone and is redelivered.
      if (b.failed || this.stopped || this.paused || !this.owns(b.topic, b.p)) return;
      const rec: RawBusRecord = {
        topic: b.topic,
        partition: b.p,
        offset: String(row.offset),
        key: row.key,
        headers: row.headers ? (JSON.parse(row.headers) as Record<string, string>) : {},
        value: row.value,
        timestampMs: row.ts,
      };
      await processRecord(rec, this.processing, this.abort.signal);
      b.done[at] = 1;
    } catch (err) {
      // processRecord rejects only when the dead-letter write failed: keep the position, retry next round.
      if (!b.failed) this.deps.logger.error({ err, topic: b.topic, partition: b.p, offset: row.offset }, 'could not handle or dead-letter record; will retry');
      b.failed = true;
    } finally {
      if (b.last.get(row.key) === at) b.last.delete(row.key);
      if (--b.inflight <= b.low && b.wake) {
        const w = b.wake;
        b.wake = undefined;
        w();
      }
    }
  }

  private idle(): Promise<void> {
    return this.doorbell.wait(this.deps.pollIntervalMs);
  }
}
