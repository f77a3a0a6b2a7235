import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { type BusMetrics, processRecord, BusError, defaultRetryPolicy } from '../../core/index.js';
import type { RawBusRecord, SubscribeOptions, Subscription, Logger, Gauge } from '../../core/index.js';
import type { KafkaBusConfig } from './config.js';
import { toBusError } from './errors.js';
import type { HealthTracker } from './health.js';
import { Slots } from './slots.js';

export interface SubscriptionDeps {
  kafka: Kafka;
  config: KafkaBusConfig;
  wireTopic: (logical: string) => string;
  logicalTopic: (wire: string) => string;
  deadLetter: (logicalTopic: string, rec: { key: string; value: Buffer; headers: Record<string, string> }) => Promise<void>;
  metrics: BusMetrics;
  lagGauge: Gauge;
  logger: Logger;
  health: HealthTracker;
  onStopped: (sub: KafkaSubscription) => void;
}

/**
 * One consumer-group member. Pipeline per fetched batch (one partition):
 *   records -> (same key: in order, different keys: concurrently, at most maxInFlight at once)
 *   -> processRecord (validate, handle with retries, or dead-letter) -> commit the batch.
 * Commit invariant: the committed offset only ever moves past a record after processRecord
 * resolved for it AND for every earlier record of the partition, i.e. its handler's effects are
 * durable or it sits in the DLQ. A record that did not finish (DLQ write failed, stop timed out,
 * pause, rebalance) is neither resolved nor committed, so it is fetched again.
 */
export class KafkaSubscription implements Subscription {
  readonly group: string;
  private readonly consumer: Consumer;
  private readonly abort = new AbortController();
  private readonly slots: Slots;
  private readonly wireTopics: string[];
  private readonly procDeps;
  private readonly log: Logger;
  private paused = false;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;

  constructor(
    private readonly opts: SubscribeOptions,
    private readonly deps: SubscriptionDeps,
  ) {
    const c = deps.config;
    this.group = opts.group;
    this.wireTopics = opts.topics.map(deps.wireTopic);
    this.slots = new Slots(c.maxInFlight);
    this.log = deps.logger.child({ group: opts.group });
    this.consumer = deps.kafka.consumer({
      groupId: opts.group,
      sessionTimeout: c.sessionTimeout,
      heartbeatInterval: c.heartbeatInterval,
      allowAutoTopicCreation: false,
      // Short broker-side wait keeps stop() and the first fetch after join quick; fetches return
      // as soon as data exists anyway.
      maxWaitTimeInMs: 500,
      // kafkajs restarts a crashed consumer (broker outage) by itself; its retrier only paces that
      // reconnect loop. Handler retries are core/retry.ts inside processRecord.
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000, restartOnFailure: async () => !this.stopping },
    });
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

  /** Connects, joins the group and returns once the first fetch happened (offsets are positioned). */
  async start(): Promise<void> {
    const { CRASH, GROUP_JOIN, FETCH } = this.consumer.events;
    this.consumer.on(CRASH, ({ payload }) => {
      this.deps.health.failed(`consumer crashed: ${payload.error.name}`);
      this.log.warn({ error: payload.error.name, restart: payload.restart }, 'kafka consumer crashed');
    });
    let joined = false;
    const ready = new Promise<void>((resolve) => {
      this.consumer.on(GROUP_JOIN, () => {
        joined = true;
        this.deps.health.ok();
      });
      // The first fetch after joining means offsets for a group without commits were resolved to
      // "latest": events published after subscribe() resolves are seen.
      this.consumer.on(FETCH, () => {
        if (joined) resolve();
      });
    });
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: this.wireTopics, fromBeginning: this.opts.fromBeginning ?? false });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.deps.config.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.onBatch(payload),
      });
    } catch (err) {
      await this.consumer.disconnect().catch(() => undefined);
      throw toBusError(err, 'BUS_UNAVAILABLE', `subscribe ${this.group}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.deps.config.sessionTimeout);
    });
    const late = await Promise.race([ready.then(() => false), timedOut]);
    clearTimeout(timer);
    // Not fatal: kafkajs keeps trying in the background and consumption starts once the group forms.
    if (late) this.log.warn({ topics: this.opts.topics }, 'consumer has not joined its group yet');
  }

  get topics(): string[] {
    return this.opts.topics;
  }

  pause(): void {
    if (this.paused || this.stopping) return;
    this.paused = true;
    this.consumer.pause(this.wireTopics.map((topic) => ({ topic })));
  }

  resume(): void {
    if (!this.paused || this.stopping) return;
    this.paused = false;
    this.consumer.resume(this.wireTopics.map((topic) => ({ topic })));
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.drainAndLeave();
    return this.stopPromise;
  }

  private async drainAndLeave(): Promise<void> {
    this.stopping = true;
    // Running batches stop taking new records, wait for in-flight handlers and commit what
    // finished; handlers still running after the drain timeout are aborted and not committed.
    const timer = setTimeout(() => this.abort.abort(new BusError('BUS_STOPPED', 'subscription stopped')), this.deps.config.drainTimeout);
    try {
      // disconnect() waits for the running eachBatch calls, then leaves the group.
      await this.consumer.disconnect();
    } catch (err) {
      this.log.warn({ code: toBusError(err, 'BUS_UNAVAILABLE', 'leave group').code }, 'consumer disconnect failed');
    } finally {
      clearTimeout(timer);
      this.deps.onStopped(this);
    }
  }

  // kafkajs builds these payload functions as closures per batch: detaching them is safe.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    let failure: unknown;
    const halted = (): boolean => this.stopping || this.paused || failure !== undefined || !isRunning() || isStale();
    // kafkajs only heart-beats from its fetch loop or when asked; slow handlers must not get this
    // member evicted, so keep beating while the batch is open (kafkajs throttles the calls).
    const beat = setInterval(() => void heartbeat().catch(() => undefined), this.deps.config.heartbeatInterval);
    try {
      const done = await this.handleRecords(
        batch.topic,
        batch.partition,
        batch.messages,
        halted,
        (err) => (failure ??= err),
        () => failure,
      );
      if (done > 0) {
        const last = batch.messages[done - 1]!.offset;
        await this.commit(batch.topic, batch.partition, last, batch.highWatermark, resolveOffset, commitOffsetsIfNecessary);
      }
    } finally {
      clearInterval(beat);
    }
    if (failure !== undefined && !this.abort.signal.aborted) {
      // The DLQ write failed: throwing makes kafkajs restart the consumer, which refetches from
      // the committed offset, i.e. this record again. kafkajs restarts only on a *retriable* error;
      // a non-retriable one (e.g. the DLQ record rejected as too large) would end consumption for
      // good, silently. So the error handed to kafkajs is always retriable; the cause keeps the code.
      const e = toBusError(failure, 'BUS_PUBLISH_FAILED', `dead-letter from ${this.deps.logicalTopic(batch.topic)}`);
      throw e.retriable ? e : new BusError(e.code, e.message, { cause: e, retriable: true });
    }
  }

  /**
   * Runs processRecord over one partition's records: same key in order, other keys concurrently,
   * at most maxInFlight at once. Returns how many leading records finished (the committable prefix).
   */
  private async handleRecords(
    wireTopic: string,
    partition: number,
    msgs: KafkaMessage[],
    halted: () => boolean,
    fail: (err: unknown) => void,
    failed: () => unknown,
  ): Promise<number> {
    const topic = this.deps.logicalTopic(wireTopic);
    const done = new Uint8Array(msgs.length);
    const chains = new Map<string, Promise<void>>();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < msgs.length; i++) {
      if (halted()) break;
      if (!this.slots.tryAcquire()) {
        // Backpressure: maxInFlight records are being handled; the fetch loop waits with us.
        await this.slots.acquire();
        if (halted()) {
          this.slots.release();
          break;
        }
      }
      const rec = toRaw(topic, partition, msgs[i]!);
      const run = async (): Promise<void> => {
        if (failed() !== undefined) return; // an earlier record failed: keep the rest for redelivery, in order
        await processRecord(rec, this.procDeps, this.abort.signal);
        done[i] = 1;
      };
      const prev = chains.get(rec.key);
      const p = (prev ? prev.then(run) : run()).catch(fail).finally(() => this.slots.release());
      chains.set(rec.key, p);
      pending.push(p);
    }
    await Promise.all(pending);
    let n = 0;
    while (n < pending.length && done[n] === 1) n++;
    return n;
  }

  /** Offsets are committed only here, after every record up to `offset` was processed (see class comment). */
  private async commit(
    wireTopic: string,
    partition: number,
    offset: string,
    highWatermark: string,
    resolveOffset: (o: string) => void,
    commitNow: EachBatchPayload['commitOffsetsIfNecessary'],
  ): Promise<void> {
    resolveOffset(offset);
    const next = (BigInt(offset) + 1n).toString();
    try {
      // The batch's own commit goes straight to the group coordinator; consumer.commitOffsets()
      // silently does nothing once stop() began, which would drop the commit of a draining batch.
      await commitNow({ topics: [{ topic: wireTopic, partitions: [{ partition, offset: next }] }] });
      this.deps.health.ok();
    } catch (err) {
      // Not thrown: the resolved offset keeps this member going, a later commit covers this one,
      // and if none happens the records are redelivered (at-least-once).
      const e = toBusError(err, 'BUS_COMMIT_FAILED', 'commit');
      if (e.retriable) this.deps.health.failed(`commit failed: ${e.code}`);
      this.log.warn({ topic: wireTopic, partition, code: e.code }, 'offset commit failed; records may be redelivered');
    }
    const lag = Number(BigInt(highWatermark) - BigInt(next));
    this.deps.lagGauge.set({ group: this.group, topic: this.deps.logicalTopic(wireTopic), partition: String(partition) }, Math.max(0, lag));
  }
}

function toRaw(topic: string, partition: number, m: KafkaMessage): RawBusRecord {
  const headers: Record<string, string> = {};
  if (m.headers) {
    for (const [k, v] of Object.entries(m.headers)) {
      if (v === undefined) continue;
      const one = Array.isArray(v) ? v[v.length - 1] : v;
      if (one !== undefined) headers[k] = one.toString();
    }
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString() : '',
    headers,
    value: m.value ?? Buffer.alloc(0),
    timestampMs: Number(m.timestamp),
  };
}
