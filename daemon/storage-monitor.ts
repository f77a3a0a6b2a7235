import {
  type Bus,
  type CloudEvent,
  faultCode,
  type Finding,
  FindingEvent,
  type Logger,
  makeEvent,
  type Metrics,
  sleep,
  STORAGE_PAUSE,
  backoffDelay,
  type StorageMonitor,
} from '../core/index.js';

/** The stores that report (their gauge series exist at zero before the first fault). */
const KNOWN_STORES = ['bus', 'state', 'alerts', 'audit', 'journal'] as const;

interface Condition {
  path: string;
  code: string;
  since: string;
}

/**
 * The daemon's StorageMonitor: turns "this store cannot write" into what an operator sees.
 *
 * How the news gets out when the bus itself is on the full disk: the log line and the gauge
 * (`storage_write_failing{store}`) change at once, in memory, needing no disk; /readyz is not
 * ready and names store, path and code; the `storage.full` finding (infrastructure) is queued
 * in memory and published in order with backoff until the bus accepts it, which is once space
 * returns. A condition that cleared meanwhile is then published firing and resolved, so the
 * alert pipeline and the audit trail hold the whole episode. The queue is in memory on purpose
 * (it has nowhere durable to go); a restart on a still-full disk reports the condition again at
 * its first failed write.
 */
export class DaemonStorageMonitor implements StorageMonitor {
  private readonly failingNow = new Map<string, Condition>();
  private readonly queue: CloudEvent<Finding>[] = [];
  private bus: Bus | undefined;
  private publishing: Promise<void> | undefined;
  /** The event being published now: never taken back out of the queue by a coalescing failure. */
  private inFlight: CloudEvent<Finding> | undefined;
  private readonly stopped = new AbortController();
  private readonly gauge;
  private readonly faults;

  constructor(
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly instance: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.gauge = metrics.gauge('storage_write_failing', '1 while writes to the store fail because of the storage (a full disk)', ['store']);
    this.faults = metrics.counter('storage_write_faults_total', 'Episodes of writes failing because of the storage, per store and code', ['store', 'code']);
    for (const store of KNOWN_STORES) this.gauge.set({ store }, 0);
  }

  /** The bus findings go to; set once it exists (the bus reports into this monitor too). */
  attach(bus: Bus): void {
    this.bus = bus;
    this.kick();
  }

  failing(store: string, path: string, err: unknown): void {
    if (this.failingNow.has(store)) return;
    // A write that squeezed through between two failures (a freed page) is not a recovery worth
    // a finding while the bus has not even taken the episode's end: the episode goes on.
    const resumed = this.queue.findIndex((e) => e !== this.inFlight && e.data?.status === 'resolved' && e.data.labels.store === store);
    if (resumed >= 0) {
      const [back] = this.queue.splice(resumed, 1);
      const ev = back?.data?.evidence as { path: string; code: string; since: string };
      this.failingNow.set(store, { path: ev.path, code: ev.code, since: ev.since });
      this.gauge.set({ store }, 1);
      return;
    }
    const code = faultCode(err);
    const c: Condition = { path, code, since: this.now().toISOString() };
    this.failingNow.set(store, c);
    this.gauge.set({ store }, 1);
    this.faults.inc({ store, code });
    this.logger.error({ store, path, code }, `storage full or failing: ${store} cannot write ${path} (${code}); paused and retrying, nothing is dropped`);
    this.enqueue(store, c, 'firing');
  }

  ok(store: string): void {
    const c = this.failingNow.get(store);
    if (!c) return;
    this.failingNow.delete(store);
    this.gauge.set({ store }, 0);
    this.logger.info({ store, path: c.path, since: c.since }, `storage writable again: ${store} resumed`);
    this.enqueue(store, c, 'resolved');
  }

  /** What /readyz reports: one entry per store whose writes fail now. */
  conditions(): { store: string; path: string; code: string; since: string }[] {
    return [...this.failingNow].map(([store, c]) => ({ store, ...c }));
  }

  /** Stops publishing; what is still queued is dropped (the condition is re-reported at the next start). */
  async stop(): Promise<void> {
    this.stopped.abort();
    await this.publishing;
  }

  private enqueue(store: string, c: Condition, status: 'firing' | 'resolved'): void {
    const id = `storage.full:${this.instance}:${store}:${c.since}:${status}`;
    const data: Finding = {
      findingId: id,
      rule: 'storage.full',
      detector: 'daemon',
      severity: 'high',
      category: 'infrastructure',
      status,
      dedupKey: `storage.full:${this.instance}:${store}`,
      summary:
        status === 'firing'
          ? `${store} cannot write ${c.path}: ${c.code} (disk full or failing); writes paused and retried`
          : `${store} writes to ${c.path} succeed again`,
      subject: c.path,
      labels: { store },
      evidence: { store, path: c.path, code: c.code, since: c.since },
      links: [],
      causedBy: [],
      observedAt: this.now().toISOString(),
    };
    this.queue.push(makeEvent({ type: FindingEvent.type, source: `urn:chainwatch:daemon:${this.instance}`, subject: c.path, id, data }));
    this.kick();
  }

  private kick(): void {
    if (this.publishing || !this.bus || this.queue.length === 0) return;
    this.publishing = this.drain().finally(() => {
      this.publishing = undefined;
      if (!this.stopped.signal.aborted) this.kick();
    });
  }

  /** Publishes the queue in order; a refusal (the bus on the full disk) pauses and retries the head. */
  private async drain(): Promise<void> {
    const bus = this.bus!;
    for (let pause = 1; this.queue.length > 0 && !this.stopped.signal.aborted;) {
      const head = this.queue[0]!;
      this.inFlight = head;
      try {
        await bus.publish(head);
        this.queue.splice(this.queue.indexOf(head), 1);
        pause = 1;
      } catch (err) {
        if (pause === 1)
          this.logger.warn({ code: faultCode(err), queued: this.queue.length }, 'storage finding not published yet; retrying until the bus accepts it');
        await sleep(backoffDelay(STORAGE_PAUSE, pause++), this.stopped.signal).catch(() => undefined);
      } finally {
        this.inFlight = undefined;
      }
    }
  }
}
