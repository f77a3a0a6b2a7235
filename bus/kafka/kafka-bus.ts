import { type Admin, Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
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
import { KafkaSubscription } from './subscription.js';
import { TopicAdmin } from './topics.js';

export interface KafkaBusDeps {
  logger?: Logger;
  metrics?: Metrics;
}

/**
 * The Bus port on Apache Kafka (kafkajs). One topic per event family (`<prefix>chainwatch.<family>`,
 * DLQ `<topic>.dlq`), created on first use; record key = keyOf(event), so one subject stays on one
 * partition and in order. The producer is idempotent with acks=all and one request in flight, so
 * kafkajs' own resends cannot reorder or duplicate; publish() resolves once the broker acked.
 * Consumption, commits and dead-lettering live in subscription.ts.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly config: KafkaBusConfig;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
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
    this.kafka = new Kafka(kafkaClientConfig(c, this.logger));
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner, // murmur2, as the Java client
      // An idempotent producer needs retries >= 1; kafkajs warns that a finite count "may
      // invalidate EoS" — we promise at-least-once, and a bounded wait matters more.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    this.admin = this.kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } });
    this.topics = new TopicAdmin(this.admin, c.partitions, c.replicationFactor);
    const p = this.producer.events;
    this.producer.on(p.CONNECT, () => this.health_.producer(true));
    this.producer.on(p.DISCONNECT, () => this.health_.producer(false));
    this.producer.on(p.REQUEST_TIMEOUT, () => this.health_.failed('producer request timed out'));
    this.admin.on(this.admin.events.REQUEST_TIMEOUT, () => this.health_.failed('admin request timed out'));
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
        await this.admin.connect();
        await this.producer.connect();
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
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
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
      msgs.push({ key: opts.key ?? keyOf(valid), value, ...(opts.headers ? { headers: opts.headers } : {}) });
    }
    await this.send(byTopic);
  }

  async publishRaw(topic: string, records: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<void> {
    this.assertRunning();
    await this.sendRaw(topic, records);
  }

  /** Also used for dead letters, which must still work while stop() drains subscriptions. */
  private async sendRaw(topic: string, records: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<void> {
    const msgs: Message[] = records.map((r) => ({ key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) }));
    await this.send(new Map([[topic, msgs]]));
  }

  /** One sendBatch per call (one produce request per broker); retried as a whole with core/retry.ts. */
  private async send(byTopic: Map<string, Message[]>): Promise<void> {
    const topicMessages = [...byTopic].filter(([, m]) => m.length > 0).map(([topic, messages]) => ({ topic: this.wire(topic), messages }));
    if (topicMessages.length === 0) return;
    const p = this.retrying('publish', async () => {
      await this.topics.ensure(topicMessages.map((t) => t.topic));
      try {
        await this.producer.sendBatch({ topicMessages, acks: -1 });
      } catch (err) {
        throw toBusError(err, 'BUS_PUBLISH_FAILED', 'publish');
      }
    });
    this.inflight.add(p);
    try {
      await p;
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
      kafka: this.kafka,
      config: this.config,
      wireTopic: (t) => this.wire(t),
      logicalTopic: (t) => this.logical(t),
      deadLetter: (topic, rec) => this.sendRaw(topic, [rec]),
      metrics: this.busMetrics,
      lagGauge: this.lagGauge,
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
      this.health_.ok();
    } catch (err) {
      this.health_.failed(`probe: ${err instanceof BusError ? err.code : 'UNKNOWN'}`);
    } finally {
      this.probing = false;
    }
  }
}
