/**
 * In-memory Bus twin for tests in every folder (NOT for production; core/ so that collectors,
 * detectors and sinks may use it without importing each other or test/): same port, same validation and
 * dead-lettering (through core's processRecord), delivery in publish order per topic, one
 * partition per topic, committed offsets per group. Durability is, of course, not provided.
 */
import {
  type Bus,
  type BusHealth,
  busMetrics,
  type CloudEvent,
  encodeEvent,
  familyOf,
  keyOf,
  noopMetrics,
  processRecord,
  type PublishOptions,
  type RawBusRecord,
  silentLogger,
  type SubscribeOptions,
  type Subscription,
  topicFor,
  validateEvent,
} from '../index.js';

interface Sub {
  opts: SubscribeOptions;
  paused: boolean;
  stopped: boolean;
  running: Promise<void> | undefined;
}

export class MemoryBus implements Bus {
  readonly kind = 'embedded' as const;
  readonly topics = new Map<string, RawBusRecord[]>();
  private readonly committed = new Map<string, number>(); // `${group}\0${topic}` -> next offset
  private readonly subs: Sub[] = [];
  private readonly abort = new AbortController();

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    for (const s of this.subs) s.stopped = true;
    await Promise.all(this.subs.map(async (s) => s.running));
  }
  async flush(): Promise<void> {
    await this.drain();
  }
  health(): BusHealth {
    return { ready: true, detail: 'memory' };
  }

  /** When set, publish() rejects with it (a broker outage). */
  failWith: Error | undefined;

  async publish(events: CloudEvent | CloudEvent[], opts: PublishOptions & { topic?: string } = {}): Promise<void> {
    if (this.failWith) throw this.failWith;
    const list = Array.isArray(events) ? events : [events];
    const valid = list.map((e) => validateEvent(e));
    for (const ev of valid) {
      this.append(opts.topic ?? topicFor(familyOf(ev.type)), opts.key ?? keyOf(ev), encodeEvent(ev), opts.headers ?? {});
    }
    this.kick();
  }

  async publishRaw(topic: string, records: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<void> {
    for (const r of records) this.append(topic, r.key, r.value, r.headers ?? {});
    this.kick();
  }

  /** Events published to a topic so far, decoded (dead letters included when asked for). */
  events(topic: string): CloudEvent[] {
    return (this.topics.get(topic) ?? []).map((r) => JSON.parse(r.value.toString('utf8')) as CloudEvent);
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    const sub: Sub = { opts, paused: false, stopped: false, running: undefined };
    this.subs.push(sub);
    if (opts.fromBeginning === false) {
      for (const t of opts.topics) this.committed.set(`${opts.group}\0${t}`, this.topics.get(t)?.length ?? 0);
    }
    this.kick();
    return {
      group: opts.group,
      pause: () => {
        sub.paused = true;
      },
      resume: () => {
        sub.paused = false;
        this.kick();
      },
      stop: async () => {
        sub.stopped = true;
        await sub.running;
      },
    };
  }

  async lag(group: string): Promise<{ topic: string; partition: number; lag: number }[]> {
    return [...this.topics.entries()].map(([topic, recs]) => ({
      topic,
      partition: 0,
      lag: recs.length - (this.committed.get(`${group}\0${topic}`) ?? 0),
    }));
  }

  /** Resolves once `group` has committed every record of `topic` published so far. */
  async waitCommitted(group: string, topic: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((this.committed.get(`${group}\0${topic}`) ?? 0) < (this.topics.get(topic)?.length ?? 0)) {
      if (Date.now() > until) throw new Error(`group ${group} did not consume ${topic} in ${timeoutMs}ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Resolves when every active subscription has handled everything published so far. */
  async drain(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      this.kick();
      await Promise.all(this.subs.map(async (s) => s.running));
      if (!this.subs.some((s) => this.pendingFor(s))) return;
    }
    throw new Error('MemoryBus.drain: still pending after 1000 rounds');
  }

  private append(topic: string, key: string, value: Buffer, headers: Record<string, string>): void {
    const recs = this.topics.get(topic) ?? [];
    this.topics.set(topic, recs);
    recs.push({ topic, partition: 0, offset: String(recs.length), key, headers, value, timestampMs: Date.now() });
  }

  private kick(): void {
    for (const s of this.subs) {
      if (!s.running && !s.stopped && !s.paused) {
        // Start on a microtask: a handler that publishes before its first await would otherwise
        // re-enter kick() while `running` is still unset and process the same record again.
        s.running = Promise.resolve()
          .then(() => this.run(s))
          .finally(() => {
            s.running = undefined;
            // A publish that came while this run was finishing found `running` set: look again.
            if (this.pendingFor(s)) this.kick();
          });
      }
    }
  }

  private pendingFor(s: Sub): boolean {
    return !s.stopped && !s.paused && s.opts.topics.some((t) => (this.topics.get(t)?.length ?? 0) > (this.committed.get(`${s.opts.group}\0${t}`) ?? 0));
  }

  private async run(s: Sub): Promise<void> {
    const deps = {
      group: s.opts.group,
      handler: s.opts.handler,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, ...s.opts.retry },
      raw: s.opts.raw ?? false,
      deadLetter: async (topic: string, rec: { key: string; value: Buffer; headers: Record<string, string> }) => {
        this.append(topic, rec.key, rec.value, rec.headers);
      },
      metrics: busMetrics(noopMetrics),
      logger: silentLogger,
    };
    let progressed = true;
    while (progressed && !s.stopped && !s.paused) {
      progressed = false;
      for (const topic of s.opts.topics) {
        const k = `${s.opts.group}\0${topic}`;
        const recs = this.topics.get(topic) ?? [];
        let next = this.committed.get(k) ?? 0;
        while (next < recs.length && !s.stopped && !s.paused) {
          await processRecord(recs[next]!, deps, this.abort.signal);
          next++;
          this.committed.set(k, next);
          progressed = true;
        }
      }
    }
  }
}
