import { Admin } from '@platformatic/kafka';
import {
  parseConfig,
  busMetrics,
  knownTopics,
  type BusMetrics,
  keyOf,
  BusError,
  EventError,
  encodeEvent,
  familyOf,
  MAX_EVENT_BYTES,
  topicFor,
  validateEvent,
  type Logger,
  silentLogger,
  type Counter,
  type Gauge,
  type Metrics,
  noopMetrics,
  RetryError,
  type RetryPolicy,
  withRetry,
} from '../../core/index.js';
import type { CloudEvent, Bus, BusHealth, PublishOptions, SubscribeOptions, Subscription } from '../../core/index.js';
import { kafkaClientConfig } from './client-config.js';
import { type KafkaBusConfig, type KafkaBusConfigInput, kafkaBusConfigSchema } from './config.js';
import { toBusError } from './errors.js';
import { HealthTracker } from './health.js';
import { type Message, ProducerPool } from './producers.js';
import { errorCode, routeClientLogs } from './log.js';
import { KafkaSubscription } from './subscription.js';
import { TopicAdmin } from './topics.js';

export interface KafkaBusDeps {
  logger?: Logger;
  metrics?: Metrics;
}

/**
 * The Bus port on Apache Kafka (@platformatic/kafka). One topic per event family
 * (`<prefix>chainwatch.<family>`, DLQ `<topic>.dlq`), created on first use; record key =
 * keyOf(event), so one subject stays on one partition and in order. Keys are placed with
 * compatibilityPartitioner (murmur2 & 0x7fffffff, as kafkajs' DefaultPartitioner and the Java
 * client), so topics written before the switch from kafkajs keep their per-key partitions. The
 * producer is idempotent with acks=all and one request in flight per broker, so the client's own
 * resends cannot reorder or duplicate; publish() resolves once the broker acked.
 * Consumption, commits and dead-lettering live in subscription.ts.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly config: KafkaBusConfig;
  private readonly producers: ProducerPool;
  private readonly admin: Admin;
  private readonly topics: TopicAdmin;
  private readonly health_ = new HealthTracker();
  private readonly subs = new Set<KafkaSubscription>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;
  private readonly busMetrics: BusMetrics;
  private readonly published: Counter;
  private readonly lagGauge: Gauge;
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private started = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(config: KafkaBusConfigInput, deps: KafkaBusDeps = {}) {
    const c = (this.config = parseConfig(kafkaBusConfigSchema, config, ''));
    this.logger = (deps.logger ?? silentLogger).child({ component: 'bus.kafka' });
    const metrics = deps.metrics ?? noopMetrics;
    this.busMetrics = busMetrics(metrics);
    this.published = metrics.counter('bus_events_published_total', 'Events appended to the bus', ['topic']);
    for (const topic of knownTopics()) this.published.inc({ topic }, 0);
    this.lagGauge = metrics.gauge('bus_consumer_lag', 'Records not yet committed by a consumer group', ['group', 'topic', 'partition']);
    const r = c.retry;
    this.retry = {
      maxAttempts: r.maxAttempts,
      baseDelayMs: r.baseDelay,
      maxDelayMs: r.maxDelay,
      deadlineMs: r.deadline,
      onRetry: (err, attempt) => this.onRetry(err, attempt),
    };
    this.producers = new ProducerPool(c);
    this.admin = new Admin(kafkaClientConfig(c, `${c.clientId}-admin`));
    this.topics = new TopicAdmin(this.admin, c.partitions, c.replicationFactor);
    // A closed connection is not yet an outage (brokers close idle connections after
    // connections.max.idle.ms): probe now; the probe reconnects or marks the bus unready.
    for (const p of this.producers.all) p.on('client:broker:disconnect', () => void this.probe());
    for (const client of [...this.producers.all, this.admin]) {
      // Clients emit 'error' for failures nobody awaits; unhandled, that would throw.
      client.on('error', (err: Error) => this.health_.failed(`kafka client: ${errorCode(err)}`));
      routeClientLogs(client, this.logger, c.logLevel);
    }
  }

  start(): Promise<void> {
    if (this.stopPromise) return Promise.reject(new BusError('BUS_STOPPED', 'Kafka bus was stopped'));
    this.startPromise ??= this.connect().catch((err: unknown) => {
      this.startPromise = undefined; // a later start() may try again
      throw err;
    });
    return this.startPromise;
  }

  private async connect(): Promise<void> {
    await this.retrying('connect', async () => {
      try {
        // Clients connect lazily: one metadata round trip each proves the brokers answer (and the
        // credentials work), and the producer id of the idempotent producer is fetched up front.
        await this.admin.metadata({ topics: [], forceUpdate: true });
        await this.producers.init();
      } catch (err) {
        throw toBusError(err, 'BUS_UNAVAILABLE', 'connect');
      }
    });
    this.started = true;
    this.health_.markStarted();
    this.health_.ok();
    this.probeTimer = setInterval(() => void this.probe(), this.config.healthProbe);
    this.probeTimer.unref();
    this.logger.info({ brokers: this.config.brokers, clientId: this.config.clientId }, 'kafka bus started');
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.shutdown();
    return this.stopPromise;
  }

  /** Ordered: subscriptions drain and commit, publishes in flight settle, then clients close. */
  private async shutdown(): Promise<void> {
    if (this.probeTimer) clearInterval(this.probeTimer);
    await Promise.allSettled([...this.subs].map((s) => s.stop()));
    await this.flush();
    await Promise.allSettled([this.producers.close(), this.admin.close()]);
    this.health_.markStopped();
    this.started = false;
  }

  /** The producer does not buffer (publish awaits the acks); flush waits for publishes in flight. */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async publish(events: CloudEvent | CloudEvent[], opts: PublishOptions & { topic?: string } = {}): Promise<void> {
    this.assertRunning();
    const list = Array.isArray(events) ? events : [events];
    const byTopic = new Map<string, Message[]>();
    for (const ev of list) {
      const valid = validateEvent(ev);
      const value = encodeEvent(valid);
      if (value.byteLength > MAX_EVENT_BYTES) {
        throw new EventError('EVENT_TOO_LARGE', `event of ${value.byteLength} bytes exceeds ${MAX_EVENT_BYTES}`);
      }
      const topic = opts.topic ?? topicFor(familyOf(valid.type));
      let msgs = byTopic.get(topic);
      if (!msgs) byTopic.set(topic, (msgs = []));
      const msg: Message = { topic: this.wire(topic), key: opts.key ?? keyOf(valid), value };
      if (opts.headers) msg.headers = opts.headers;
      msgs.push(msg);
    }
    await this.send(byTopic);
  }

  async publishRaw(topic: string, records: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<void> {
    this.assertRunning();
    await this.sendRaw(topic, records);
  }

  /** Also used for dead letters, which must still work while stop() drains subscriptions. */
  private async sendRaw(topic: string, records: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<void> {
    const wire = this.wire(topic);
    const msgs: Message[] = records.map((r) => ({ topic: wire, key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) }));
    await this.send(new Map([[topic, msgs]]));
  }

  /** One send per producer per call (one produce request per broker each), retried with core/retry.ts. */
  private async send(byTopic: Map<string, Message[]>): Promise<void> {
    const messages: Message[] = [];
    const wireTopics: string[] = [];
    for (const [topic, m] of byTopic) {
      if (m.length === 0) continue;
      wireTopics.push(this.wire(topic));
      for (const one of m) messages.push(one);
    }
    if (messages.length === 0) return;
    // Each producer's share is retried on its own: a share that got through is not sent again.
    // All shares settle before publish() answers (and before flush()/stop() stop waiting): a share
    // still retrying behind a rejected publish could land after the caller's re-publish.
    const p = Promise.allSettled(
      this.producers.split(messages).map(({ producer, messages: share }) =>
        this.retrying('publish', async () => {
          await this.topics.ensure(wireTopics);
          try {
            await producer.send({ messages: share });
          } catch (err) {
            throw toBusError(err, 'BUS_PUBLISH_FAILED', 'publish');
          }
        }),
      ),
    );
    this.inflight.add(p);
    try {
      const failed = (await p).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      this.inflight.delete(p);
    }
    this.health_.ok();
    for (const [topic, messages] of byTopic) this.published.inc({ topic }, messages.length);
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    this.assertRunning();
    if (opts.topics.length === 0) throw new BusError('BUS_INVALID_TOPIC', 'subscribe needs at least one topic');
    // The DLQ topics too: a dead letter must not wait on topic creation while a batch is open.
    const wire = opts.topics.flatMap((t) => [this.wire(t), this.wire(`${t}.dlq`)]);
    await this.retrying('create topics', () => this.topics.ensure(wire));
    const sub = new KafkaSubscription(opts, {
      config: this.config,
      wireTopic: (t) => this.wire(t),
      logicalTopic: (t) => this.logical(t),
      deadLetter: (topic, rec) => this.sendRaw(topic, [rec]),
      metrics: this.busMetrics,
      logger: this.logger,
      health: this.health_,
      onStopped: (s) => this.subs.delete(s),
    });
    this.subs.add(sub);
    try {
      await sub.start();
    } catch (err) {
      this.subs.delete(sub);
      throw err;
    }
    return sub;
  }

  health(): BusHealth {
    return this.health_.snapshot();
  }

  async lag(group: string): Promise<{ topic: string; partition: number; lag: number }[]> {
    this.assertRunning();
    const local = [...this.subs].filter((s) => s.group === group).flatMap((s) => s.topics.map((t) => this.wire(t)));
    const rows = await this.topics.lag(group, this.config.topicPrefix, local);
    return rows.map((r) => {
      const topic = this.logical(r.topic);
      this.lagGauge.set({ group, topic, partition: String(r.partition) }, r.lag);
      return { ...r, topic };
    });
  }

  private wire(topic: string): string {
    return this.config.topicPrefix + topic;
  }
  private logical(wireTopic: string): string {
    const p = this.config.topicPrefix;
    return p && wireTopic.startsWith(p) ? wireTopic.slice(p.length) : wireTopic;
  }

  private assertRunning(): void {
    if (this.stopPromise) throw new BusError('BUS_STOPPED', 'Kafka bus was stopped');
    if (!this.started) throw new BusError('BUS_NOT_STARTED', 'Kafka bus not started');
  }

  /** withRetry with the configured policy; giving up surfaces as a (retriable) BusError, not RetryError. */
  private async retrying(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await withRetry(fn, this.retry);
    } catch (err) {
      const last = err instanceof RetryError ? err.cause : err;
      const bus = last instanceof BusError ? last : toBusError(last, 'BUS_PUBLISH_FAILED', what);
      if (bus.retriable) this.health_.failed(`${what}: ${bus.code}`);
      throw err instanceof RetryError
        ? new BusError(bus.code, `${what} gave up after ${err.attempts} attempt(s)`, { cause: err, retriable: bus.retriable })
        : bus;
    }
  }

  private onRetry(err: unknown, attempt: number): void {
    const code = err instanceof BusError ? err.code : 'UNKNOWN';
    this.health_.failed(`retrying: ${code}`);
    if (attempt === 1) this.logger.warn({ code }, 'kafka call failed; retrying');
  }

  private async probe(): Promise<void> {
    if (this.probing || !this.started) return;
    this.probing = true;
    try {
      await this.topics.probe();
      // Through the producer too: it reconnects after an outage even when nobody publishes.
      await Promise.all(
        this.producers.all.map((p) =>
          p.metadata({ topics: [], forceUpdate: true }).catch((err: unknown) => {
            throw toBusError(err, 'BUS_UNAVAILABLE', 'probe');
          }),
        ),
      );
      this.health_.ok();
      // bus_consumer_lag of this process' groups stays current without a caller asking lag().
      for (const group of new Set([...this.subs].map((s) => s.group))) await this.lag(group);
    } catch (err) {
      this.health_.failed(`probe: ${err instanceof BusError ? err.code : 'UNKNOWN'}`);
    } finally {
      this.probing = false;
    }
  }
}
