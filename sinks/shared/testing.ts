import {
  type AlertSink,
  type Bus,
  type BusHealth,
  type CloudEvent,
  type ComponentContext,
  type DeliveryResult,
  familyOf,
  type Finding,
  FindingEvent,
  type FindingInput,
  findingSchema,
  makeEvent,
  type Metrics,
  type Notification,
  type SubscribeOptions,
  type Subscription,
  silentLogger,
  MemoryStateStore,
  topicFor,
  validateEvent,
} from '../../core/index.js';

/**
 * In-memory twins for unit tests of the pipeline and of sink adapters (no network, fake clock):
 * MemoryBus (at-least-once, per-group offsets committed after the handler resolves),
 * MemoryMetrics (readable counters/gauges), RecordingSink (scriptable failures), makeFinding().
 */
export class MemoryBus implements Bus {
  readonly kind = 'embedded' as const;
  readonly logs = new Map<string, CloudEvent[]>();
  readonly committed = new Map<string, number>();
  private readonly wakers = new Set<() => void>();

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async flush(): Promise<void> {}
  health(): BusHealth {
    return { ready: true, detail: 'memory' };
  }
  async publish(events: CloudEvent | CloudEvent[], opts?: { topic?: string }): Promise<void> {
    for (const ev of Array.isArray(events) ? events : [events]) {
      const valid = validateEvent(ev);
      const topic = opts?.topic ?? topicFor(familyOf(valid.type));
      const log = this.logs.get(topic) ?? [];
      log.push(valid);
      this.logs.set(topic, log);
    }
    for (const w of this.wakers) w();
  }
  async publishRaw(): Promise<void> {
    throw new Error('MemoryBus.publishRaw is not supported');
  }
  async lag(group: string): Promise<{ topic: string; partition: number; lag: number }[]> {
    return [...this.logs].map(([topic, log]) => ({ topic, partition: 0, lag: log.length - (this.committed.get(`${group}/${topic}`) ?? 0) }));
  }
  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    const ac = new AbortController();
    let wake: (() => void) | undefined;
    const waker = () => wake?.();
    this.wakers.add(waker);
    const loop = (async () => {
      while (!ac.signal.aborted) {
        let progressed = false;
        for (const topic of opts.topics) {
          const key = `${opts.group}/${topic}`;
          const log = this.logs.get(topic) ?? [];
          const off = this.committed.get(key) ?? 0;
          const ev = log[off];
          if (!ev) continue;
          await opts.handler({ topic, partition: 0, offset: String(off), key: ev.subject ?? ev.id, headers: {}, event: ev }, ac.signal);
          this.committed.set(key, off + 1); // committed only after the handler resolved
          progressed = true;
        }
        if (!progressed) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
      }
    })();
    const self = this;
    return {
      group: opts.group,
      pause() {},
      resume() {},
      async stop() {
        ac.abort();
        wake?.();
        self.wakers.delete(waker);
        await loop.catch(() => undefined);
      },
    };
  }
  /** Resolves once every record of `topic` is committed by `group`. */
  async waitCommitted(group: string, topic: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((this.committed.get(`${group}/${topic}`) ?? 0) < (this.logs.get(topic)?.length ?? 0)) {
      if (Date.now() > until) throw new Error(`group ${group} did not consume ${topic} in ${timeoutMs}ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export class MemoryMetrics implements Metrics {
  readonly values = new Map<string, number>();
  private key(name: string, labels: Record<string, string> = {}): string {
    const l = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
    return `${name}{${l}}`;
  }
  get(name: string, labels?: Record<string, string>): number {
    return this.values.get(this.key(name, labels)) ?? 0;
  }
  counter(name: string) {
    return { inc: (labels?: Record<string, string>, v = 1) => this.values.set(this.key(name, labels), this.get(name, labels) + v) };
  }
  gauge(name: string) {
    return { set: (labels: Record<string, string>, v: number) => this.values.set(this.key(name, labels), v) };
  }
  histogram(name: string) {
    return { observe: (labels: Record<string, string>, v: number) => this.values.set(this.key(name, labels), v) };
  }
}

export type SinkBehaviour = (n: Notification, call: number) => DeliveryResult | Promise<DeliveryResult>;

/** Records every call; `behaviour` may throw (HttpError...) to script failures. */
export class RecordingSink implements AlertSink {
  readonly calls: Notification[] = [];
  readonly delivered: Notification[] = [];
  closed = false;
  constructor(
    readonly name: string,
    public behaviour: SinkBehaviour = () => ({}),
    readonly kind = 'recording',
  ) {}
  async deliver(n: Notification): Promise<DeliveryResult> {
    this.calls.push(n);
    const res = await this.behaviour(n, this.calls.length);
    this.delivered.push(n);
    return res;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export interface TestContext extends ComponentContext {
  bus: MemoryBus;
  metrics: MemoryMetrics;
  clock: { ms: number };
  errors: unknown[];
}

/** A context with a settable clock (`ctx.clock.ms`), MemoryBus and MemoryMetrics. */
export function testContext(dataDir: string, startMs = Date.parse('2026-01-01T00:00:00Z')): TestContext {
  const clock = { ms: startMs };
  const errors: unknown[] = [];
  return {
    bus: new MemoryBus(),
    state: new MemoryStateStore(),
    logger: silentLogger,
    metrics: new MemoryMetrics(),
    dataDir,
    fail: (err) => errors.push(err),
    now: () => new Date(clock.ms),
    clock,
    errors,
  };
}

let seq = 0;
/** A valid finding with overridable fields; ids are unique per call. */
export function makeFinding(over: Partial<FindingInput> = {}): Finding {
  seq++;
  return findingSchema.parse({
    findingId: `f-${process.pid}-${seq}`,
    rule: 'tlog.consistency_failed',
    detector: 'tlog-consistency',
    severity: 'critical',
    category: 'security',
    dedupKey: 'rekor.sigstore.dev:fork',
    summary: 'Rekor log served two inconsistent checkpoints',
    subject: 'rekor.sigstore.dev',
    source: 'https://rekor.sigstore.dev',
    evidence: { treeSize: 1234, rootHash: 'ab'.repeat(32) },
    observedAt: new Date(Date.parse('2026-01-01T00:00:00Z') + seq * 1000).toISOString(),
    ...over,
  });
}

/** The finding wrapped as a bus event. */
export function findingEvent(f: Finding): CloudEvent {
  return makeEvent({ type: FindingEvent.type, source: '/chainwatch/test', subject: f.subject, data: f });
}

/** A sample notification for sink adapter tests. */
export function makeNotification(over: Partial<Notification> = {}, finding: Partial<FindingInput> = {}): Notification {
  const f = makeFinding(finding);
  return {
    id: 'cw-0123456789abcdef0123456789abcdef',
    action: 'trigger',
    route: 'security',
    dedupKey: f.dedupKey,
    finding: f,
    occurrences: 1,
    firstSeen: f.observedAt,
    lastSeen: f.observedAt,
    auditUrl: `https://chainwatch.example/audit/${f.findingId}`,
    ...over,
  };
}
