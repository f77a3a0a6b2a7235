import {
  backoffDelay,
  type Component,
  type ComponentContext,
  type ComponentKind,
  type ComponentSpec,
  describeError,
  type Logger,
  type Metrics,
} from '../core/index.js';

/**
 * Keeps the desired set of components running. reconcile() compares the desired specs with the
 * running ones by name: new ones start, vanished ones stop, ones whose fingerprint changed are
 * stopped and built again, the rest are left alone (a config reload, or a log list that changed,
 * touches only what it must). A component whose start() rejects, or that reports a crash through
 * ctx.fail(), is stopped and rebuilt after a jittered exponential backoff; the process stays up
 * and the other components keep working. /readyz reflects each component's state.
 */
type State = 'starting' | 'running' | 'backoff' | 'stopped';

interface Slot {
  spec: ComponentSpec;
  instance: Component | undefined;
  state: State;
  restarts: number;
  lastError: string | undefined;
  timer: NodeJS.Timeout | undefined;
  generation: number;
  /** stop() of a crashed instance, still running: halt() waits for it. */
  stopping: Promise<void> | undefined;
}

export interface SupervisorOptions {
  /** Restart backoff: never shorter than this; the n-th restart waits a random time below min(max, this * 2^n). */
  minBackoffMs: number;
  /** Cap of the restart backoff. */
  maxBackoffMs: number;
  /** Jitter source (tests). */
  random?: () => number;
  context: (name: string, fail: (err: unknown) => void) => ComponentContext;
  logger: Logger;
  metrics: Metrics;
}

/** Shutdown and replacement order: intake first, so findings produced while draining still reach the sinks. */
export const STOP_ORDER: readonly ComponentKind[] = ['collector', 'detector', 'sink'];

function uniqueNames(specs: readonly ComponentSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new Error(`two components are named ${JSON.stringify(s.name)}`);
    seen.add(s.name);
  }
}

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private stopping = false;
  /** start(), reconcile() and stop() run one at a time, in call order (two quick SIGHUPs must not race). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly restartsTotal;
  private readonly upGauge;

  constructor(
    specs: readonly ComponentSpec[],
    private readonly opts: SupervisorOptions,
  ) {
    uniqueNames(specs);
    for (const spec of specs) this.slots.set(spec.name, this.slot(spec));
    this.restartsTotal = opts.metrics.counter('component_restarts_total', 'Component restarts after a crash', ['component']);
    this.upGauge = opts.metrics.gauge('component_up', '1 when the component is running', ['component']);
    for (const name of this.slots.keys()) this.initSeries(name);
  }

  /** Series at zero for a known component, so /metrics lists it before its first restart. */
  private initSeries(component: string): void {
    this.restartsTotal.inc({ component }, 0);
    this.upGauge.set({ component }, 0);
  }

  start(): Promise<void> {
    return this.serially(async () => {
      await Promise.all([...this.slots.values()].map((s) => this.launch(s)));
    });
  }

  /**
   * Makes the running set match `desired`: stops removed and changed components (collectors,
   * then detectors, then sinks), then starts new and changed ones. Returns what it did.
   */
  reconcile(desired: readonly ComponentSpec[]): Promise<{ started: string[]; stopped: string[]; restarted: string[] }> {
    uniqueNames(desired);
    return this.serially(() => this.apply(desired));
  }

  private async apply(desired: readonly ComponentSpec[]): Promise<{ started: string[]; stopped: string[]; restarted: string[] }> {
    if (this.stopping) return { started: [], stopped: [], restarted: [] };
    const want = new Map(desired.map((s) => [s.name, s]));
    const removed = [...this.slots.values()].filter((s) => !want.has(s.spec.name));
    const changed = [...this.slots.values()].filter((s) => want.has(s.spec.name) && want.get(s.spec.name)!.fingerprint !== s.spec.fingerprint);
    for (const kind of STOP_ORDER) await Promise.all([...removed, ...changed].filter((s) => s.spec.kind === kind).map((s) => this.halt(s)));
    for (const s of removed) this.slots.delete(s.spec.name);
    const added = desired.filter((s) => !this.slots.has(s.name));
    for (const s of changed) {
      s.restarts = 0;
      s.lastError = undefined;
    }
    // Unchanged ones keep running, but a later crash-restart builds from the newest spec.
    for (const s of this.slots.values()) if (want.has(s.spec.name)) s.spec = want.get(s.spec.name)!;
    for (const spec of added) {
      this.slots.set(spec.name, this.slot(spec));
      this.initSeries(spec.name);
    }
    await Promise.all([...changed, ...added.map((a) => this.slots.get(a.name)!)].map((s) => this.launch(s)));
    return { started: added.map((s) => s.name), stopped: removed.map((s) => s.spec.name), restarted: changed.map((s) => s.spec.name) };
  }

  /**
   * Stops every component, collectors first, then detectors, then sinks (findings produced while
   * draining still reach the sinks). A start or reconcile under way finishes launching nothing new.
   */
  stop(): Promise<void> {
    this.stopping = true;
    return this.serially(async () => {
      for (const kind of STOP_ORDER) {
        await Promise.all([...this.slots.values()].filter((s) => s.spec.kind === kind).map((s) => this.halt(s)));
      }
    });
  }

  private serially<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  status(): { name: string; kind: ComponentKind; state: State; ready: boolean; restarts: number; lastError?: string; detail?: string }[] {
    return [...this.slots.values()].map((s) => {
      const h = s.state === 'running' ? (s.instance?.health?.() ?? { ready: true }) : { ready: false };
      return {
        name: s.spec.name,
        kind: s.spec.kind,
        state: s.state,
        ready: h.ready,
        restarts: s.restarts,
        ...(s.lastError ? { lastError: s.lastError } : {}),
        ...('detail' in h && h.detail ? { detail: h.detail } : {}),
      };
    });
  }

  private slot(spec: ComponentSpec): Slot {
    return { spec, instance: undefined, state: 'stopped', restarts: 0, lastError: undefined, timer: undefined, generation: 0, stopping: undefined };
  }

  private async launch(slot: Slot): Promise<void> {
    if (this.stopping) return;
    // Never two instances of one slot: whatever it still holds is stopped first.
    if (slot.instance || slot.stopping) await this.halt(slot);
    const gen = ++slot.generation;
    slot.state = 'starting';
    const log = this.opts.logger.child({ component: slot.spec.name });
    const fail = (err: unknown): void => {
      if (gen !== slot.generation || this.stopping) return;
      void this.crashed(slot, err);
    };
    try {
      slot.instance = slot.spec.create(this.opts.context(slot.spec.name, fail));
      await slot.instance.start();
      if (gen !== slot.generation) return;
      slot.state = 'running';
      this.upGauge.set({ component: slot.spec.name }, 1);
      log.info({ restarts: slot.restarts }, 'component started');
    } catch (err) {
      // A start() that rejects after its instance already crashed (or was halted) is not news.
      if (gen !== slot.generation) return;
      await this.crashed(slot, err);
    }
  }

  private async crashed(slot: Slot, err: unknown): Promise<void> {
    if (slot.state === 'backoff' || this.stopping) return;
    // A new generation: later fail() calls of the crashed instance, and its start() if still
    // pending, must neither mark the slot running nor schedule a second restart.
    const gen = ++slot.generation;
    const { code, message } = describeError(err);
    slot.lastError = `${code}: ${message}`;
    slot.state = 'backoff';
    this.upGauge.set({ component: slot.spec.name }, 0);
    // Full jitter (core/retry.ts): components that crashed together (a broker outage) do not all
    // come back in the same millisecond.
    // Never sooner than minBackoffMs: a component that fails at once must not spin.
    const delay = Math.max(
      this.opts.minBackoffMs,
      backoffDelay(
        {
          maxAttempts: Infinity,
          baseDelayMs: this.opts.minBackoffMs,
          maxDelayMs: this.opts.maxBackoffMs,
          ...(this.opts.random ? { random: this.opts.random } : {}),
        },
        Math.min(slot.restarts, 30) + 2,
      ),
    );
    this.opts.logger.error({ component: slot.spec.name, code, err: message, retryInMs: delay }, 'component crashed; restarting after backoff');
    const old = slot.instance;
    slot.instance = undefined;
    const stopping = old?.stop().catch(() => undefined);
    slot.stopping = stopping;
    await stopping;
    if (slot.stopping === stopping) slot.stopping = undefined;
    // Supervisor stop() began meanwhile, or reconcile() halted/replaced this slot: no restart.
    if (this.stopping || gen !== slot.generation) return;
    slot.restarts++;
    this.restartsTotal.inc({ component: slot.spec.name });
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      void this.launch(slot);
    }, delay);
  }

  private async halt(slot: Slot): Promise<void> {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.generation++;
    const inst = slot.instance;
    slot.instance = undefined;
    slot.state = 'stopped';
    this.upGauge.set({ component: slot.spec.name }, 0);
    // A crashed instance may still be stopping (crashed() awaits it): wait for it too.
    if (slot.stopping) await slot.stopping;
    if (inst) {
      try {
        await inst.stop();
      } catch (err) {
        this.opts.logger.warn({ component: slot.spec.name, err: describeError(err).message }, 'component stop failed');
      }
    }
  }
}
