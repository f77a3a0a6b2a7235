import { Consumer, type MessagesStream } from '@platformatic/kafka';
import { type BusMetrics, processRecord, BusError, defaultRetryPolicy, backoffDelay, sleep } from '../../core/index.js';
import type { SubscribeOptions, Subscription, Logger } from '../../core/index.js';
import { kafkaConsumerConfig } from './client-config.js';
import type { KafkaBusConfig } from './config.js';
import { toBusError } from './errors.js';
import type { HealthTracker } from './health.js';
import { errorCode, routeClientLogs } from './log.js';
import { Committer, offsetCommitSender } from './committer.js';
import { PartitionQueue } from './partition-queue.js';
import { type Msg, toRaw, within } from './records.js';

type Stream = MessagesStream<string, Buffer, string, string>;

export interface SubscriptionDeps {
  config: KafkaBusConfig;
  wireTopic: (logical: string) => string;
  logicalTopic: (wire: string) => string;
  deadLetter: (logicalTopic: string, rec: { key: string; value: Buffer; headers: Record<string, string> }) => Promise<void>;
  metrics: BusMetrics;
  logger: Logger;
  health: HealthTracker;
  onStopped: (sub: KafkaSubscription) => void;
}

/** Reconnect pacing of the consume loop after the stream failed (broker outage, DLQ failure). */
const RESTART = { maxAttempts: Infinity, baseDelayMs: 300, maxDelayMs: 5_000 };

/**
 * One consumer-group member on a @platformatic/kafka message stream. The client has no batch
 * callback; the stream is read here as fast as the in-flight bound allows:
 *   stream.read() -> partition queue (offset order) -> processRecord (same key: in order, other
 *   keys concurrently, at most maxInFlight records and partitionsConsumedConcurrently partitions at
 *   once) -> the partition's done prefix -> one coalesced commit per round trip.
 * Commit invariant: the committed offset only ever moves past a record after processRecord
 * resolved for it AND for every earlier record of the partition, i.e. its handler's effects are
 * durable or it sits in the DLQ. A record that did not finish (DLQ write failed, stop timed out,
 * pause, rebalance) is not committed, so it is fetched again. A failed DLQ write (or a broken
 * stream) restarts the stream from the committed offsets once the records in flight settled.
 */
export class KafkaSubscription implements Subscription {
  readonly group: string;
  private readonly consumer: Consumer<string, Buffer, string, string>;
  private readonly abort = new AbortController();
  /** One OffsetCommit in flight per subscription; later ones coalesce into the next. */
  private readonly committer: Committer<Msg>;
  private readonly wireTopics: string[];
  private readonly procDeps;
  private readonly log: Logger;
  private stream: Stream | undefined;
  private queues = new Map<string, PartitionQueue<Msg>>();
  /** Read from the stream but not dispatched yet (no slot, or too many partitions busy). */
  private held: Msg | undefined;
  /** Partitions of the latest assignment; undefined before the first join. */
  private assigned: Set<string> | undefined;
  private activePartitions = 0;
  /** Records dispatched and not settled, at most maxInFlight. */
  private inflight = 0;
  private idle: (() => void)[] = [];
  private failure: unknown;
  private pumpQueued = false;
  private paused = false;
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;

  constructor(
    private readonly opts: SubscribeOptions,
    private readonly deps: SubscriptionDeps,
  ) {
    const c = deps.config;
    this.group = opts.group;
    this.wireTopics = opts.topics.map(deps.wireTopic);
    this.log = deps.logger.child({ group: opts.group });
    this.consumer = new Consumer(kafkaConsumerConfig(c, opts.group));
    this.committer = new Committer<Msg>(offsetCommitSender(this.consumer, deps.health, this.log));
    // The client emits 'error' when a rejoin fails; unhandled, that would throw.
    this.consumer.on('error', (err: Error) => {
      this.deps.health.failed(`consumer: ${errorCode(err)}`);
      this.log.warn({ error: errorCode(err) }, 'kafka consumer error');
    });
    this.consumer.on('consumer:group:join', (p: { assignments?: { topic: string; partitions: number[] }[] }) => {
      this.deps.health.ok();
      this.assigned = new Set((p.assignments ?? []).flatMap((a) => a.partitions.map((n) => `${a.topic}:${n}`)));
      for (const [k, q] of this.queues) q.assigned = this.assigned.has(k);
    });
    routeClientLogs(this.consumer, this.log, c.logLevel);
    this.procDeps = {
      group: opts.group,
      handler: opts.handler,
      retry: { ...defaultRetryPolicy, ...opts.retry },
      raw: opts.raw ?? false,
      deadLetter: deps.deadLetter,
      metrics: deps.metrics,
      logger: this.log,
    };
  }

  /** Joins the group and returns once the offsets are positioned (or after sessionTimeout, joining on in the background). */
  async start(): Promise<void> {
    const opened = this.openStream();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.deps.config.sessionTimeout)));
    try {
      const r = await Promise.race([opened, late]);
      // Not fatal: the group forms in the background and consumption starts then.
      if (r === 'late') {
        this.log.warn({ topics: this.opts.topics }, 'consumer has not joined its group yet');
        opened.catch(() => void this.restart('join failed'));
      }
    } catch (err) {
      await this.consumer.close(true).catch(() => undefined);
      throw toBusError(err, 'BUS_UNAVAILABLE', `subscribe ${this.group}`);
    } finally {
      clearTimeout(timer);
    }
  }

  get topics(): string[] {
    return this.opts.topics;
  }

  pause(): void {
    if (this.paused || this.stopping) return;
    this.paused = true;
    // Records in the stream's buffer stay there; its fetch loop stops once the buffer is full.
  }

  resume(): void {
    if (!this.paused || this.stopping) return;
    this.paused = false;
    this.schedulePump();
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.drainAndLeave();
    return this.stopPromise;
  }

  /**
   * Joins (consume() joins first), then positions every assigned partition at the group's committed
   * offset, or per fromBeginning where there is none; resolves on the stream's first 'offsets'.
   */
  private openStream(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.consumer.consume(
        {
          topics: this.wireTopics,
          mode: 'committed',
          fallbackMode: this.opts.fromBeginning ? 'earliest' : 'latest',
          autocommit: false,
        },
        (err, stream) => {
          if (err || !stream) return reject(err ?? new BusError('BUS_UNAVAILABLE', 'no stream'));
          if (this.stopping) {
            void stream.close().catch(() => undefined);
            return resolve();
          }
          this.stream = stream;
          stream.once('offsets', () => resolve());
          stream.on('readable', () => this.pump());
          stream.on('error', (e: Error) => {
            if (this.stream !== stream) return;
            this.deps.health.failed(`consumer stream: ${errorCode(e)}`);
            this.log.warn({ error: errorCode(e) }, 'kafka consumer stream failed; restarting from the committed offsets');
            reject(e);
            void this.restart('stream error');
          });
          stream.once('close', () => {
            if (this.stream === stream && !this.stopping) void this.restart('stream closed');
          });
        },
      );
    });
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Moves records from the stream into the partition queues while the in-flight and partition limits allow. */
  private pump(): void {
    const s = this.stream;
    if (!s || this.paused || this.stopping || this.restarting || this.failure !== undefined) return;
    for (;;) {
      const m = this.held ?? (s.read() as Msg | null);
      this.held = undefined;
      if (m === null) return; // 'readable' fires when more arrives
      const q = this.queueOf(m.topic, m.partition);
      // A fetch sent before a rebalance can return records of partitions now owned by another
      // member: that member reads them from the committed offset, so they are left alone here.
      if (!q.assigned) continue;
      // After a rebalance the stream refetches from the committed offset: records this member has
      // already dispatched are in flight or done and are committed by their own completion.
      if (q.next !== undefined && m.offset < q.next) continue;
      if (q.inflight === 0 && this.activePartitions >= this.deps.config.partitionsConsumedConcurrently) {
        this.held = m;
        return;
      }
      if (this.inflight >= this.deps.config.maxInFlight) {
        // Backpressure: maxInFlight records are being handled; the stream's buffer fills, then its fetch loop waits.
        this.held = m;
        return;
      }
      this.dispatch(m, q);
    }
  }

  private queueOf(topic: string, partition: number): PartitionQueue<Msg> {
    const k = `${topic}:${partition}`;
    let q = this.queues.get(k);
    if (!q) {
      this.queues.set(k, (q = new PartitionQueue<Msg>(k, this.deps.logicalTopic(topic))));
      q.assigned = this.assigned?.has(k) ?? true;
    }
    return q;
  }

  private dispatch(m: Msg, q: PartitionQueue<Msg>): void {
    const entry = q.push(m);
    if (q.inflight++ === 0) this.activePartitions++;
    this.inflight++;
    const rec = toRaw(q.logicalTopic, m);
    const run = async (): Promise<void> => {
      if (this.failure !== undefined) return; // an earlier record failed: keep the rest for redelivery, in order
      await processRecord(rec, this.procDeps, this.abort.signal);
      entry.done = true;
    };
    const prev = q.chains.get(rec.key);
    const p: Promise<void> = (prev ? prev.then(run) : run()).then(
      () => this.settled(q, rec.key, p),
      (err: unknown) => {
        this.failure ??= err;
        this.settled(q, rec.key, p);
      },
    );
    q.chains.set(rec.key, p);
  }

  private settled(q: PartitionQueue<Msg>, key: string, p: Promise<void>): void {
    if (q.chains.get(key) === p) q.chains.delete(key);
    // Offsets are committed only here, after every record of the partition up to `last` was
    // processed (see the class comment).
    const last = q.popDone();
    if (last) this.committer.add(q.key, last);
    if (--q.inflight === 0) this.activePartitions--;
    if (--this.inflight === 0) for (const w of this.idle.splice(0)) w();
    if (this.failure !== undefined) {
      if (!this.stopping) void this.restart('dead-letter write failed');
    } else this.schedulePump();
  }

  private whenIdle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  /** Lets the records in flight settle, commits their prefix, and opens a new stream at the committed offsets. */
  private restart(why: string): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.restarting ??= (async () => {
      this.log.info({ why }, 'restarting the consumer stream');
      await this.whenIdle();
      await this.committer.settled();
      const old = this.stream;
      this.stream = undefined;
      await old?.close().catch(() => undefined);
      this.queues = new Map();
      this.held = undefined;
      this.failure = undefined;
      for (let attempt = 1; !this.stopping; attempt++) {
        await sleep(backoffDelay(RESTART, attempt));
        if (this.stopping) break;
        try {
          await this.openStream();
          break;
        } catch (err) {
          this.deps.health.failed(`consumer: ${toBusError(err, 'BUS_UNAVAILABLE', 'consume').code}`);
          if (attempt === 1) this.log.warn({ error: errorCode(err) }, 'consumer cannot rejoin yet; retrying');
        }
      }
    })().finally(() => {
      this.restarting = undefined;
      this.schedulePump();
    });
    return this.restarting;
  }

  private async drainAndLeave(): Promise<void> {
    this.stopping = true;
    // In-flight handlers finish and their prefix is committed; handlers still running after the
    // drain timeout are aborted and not committed. Nothing new is dispatched.
    const timer = setTimeout(() => this.abort.abort(new BusError('BUS_STOPPED', 'subscription stopped')), this.deps.config.drainTimeout);
    try {
      await this.whenIdle();
      clearTimeout(timer);
      await within(this.committer.settled(), this.deps.config.drainTimeout);
      await this.restarting;
      await this.stream?.close().catch(() => undefined);
      await this.consumer.close().catch(async (err: unknown) => {
        this.log.warn({ code: toBusError(err, 'BUS_UNAVAILABLE', 'leave group').code }, 'consumer could not leave its group');
        await this.consumer.close(true).catch(() => undefined);
      });
    } finally {
      clearTimeout(timer);
      this.deps.onStopped(this);
    }
  }
}
