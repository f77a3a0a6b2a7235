import {
  type AlertSink,
  type CloudEvent,
  type ComponentContext,
  type DeliveryResult,
  type Finding,
  FindingEvent,
  type FindingInput,
  findingSchema,
  makeEvent,
  type Metrics,
  type Notification,
  silentLogger,
  MemoryStateStore,
} from '../../core/index.js';
import { MemoryBus } from '../../core/testing/memory-bus.js';

/**
 * In-memory twins for unit tests of the pipeline and of sink adapters (no network, fake clock):
 * MemoryBus (at-least-once, per-group offsets committed after the handler resolves),
 * MemoryMetrics (readable counters/gauges), RecordingSink (scriptable failures), makeFinding().
 */
// The shared in-memory Bus twin (core/testing): validates, dead-letters and commits like the real ones.
export { MemoryBus };

export class MemoryMetrics implements Metrics {
  readonly values = new Map<string, number>();
  private key(name: string, labels: Record<string, string> = {}): string {
    const l = Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
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
