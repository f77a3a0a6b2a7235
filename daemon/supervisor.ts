import { backoffDelay, type Component, type ComponentContext, describeError, type Logger, type Metrics } from '../core/index.js';
import type { BuiltComponent, ComponentKind } from './components.js';

/**
 * Keeps components running: a component whose start() rejects, or that reports a crash through
 * ctx.fail(), is stopped and rebuilt after an exponential backoff with full jitter (core/retry.ts,
 * so components that crashed together, e.g. in a broker outage, do not restart in lockstep); the process stays up and the
 * other components keep working. /readyz reflects each component's state.
 */
type State = 'starting' | 'running' | 'backoff' | 'stopped';

interface Slot {
  spec: BuiltComponent;
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
  /** Base of the restart backoff: the first restart waits up to this long, each further one up to twice as long. */
  minBackoffMs: number;
  /** Cap of the restart backoff. */
  maxBackoffMs: number;
  /** Jitter source (tests). */
  random?: () => number;
  context: (name: string, fail: (err: unknown) => void) => ComponentContext;
  logger: Logger;
  metrics: Metrics;
}

export class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private readonly restartsTotal;
  private readonly upGauge;

  constructor(
    specs: BuiltComponent[],
    private readonly opts: SupervisorOptions,
  ) {
    this.slots = specs.map((spec) => ({
      spec,
      instance: undefined,
      state: 'stopped',
      restarts: 0,
      lastError: undefined,
      timer: undefined,
      generation: 0,
      stopping: undefined,
    }));
    this.restartsTotal = opts.metrics.counter('component_restarts_total', 'Component restarts after a crash', ['component']);
    this.upGauge = opts.metrics.gauge('component_up', '1 when the component is running', ['component']);
  }

  async start(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.launch(s)));
  }

  /** Stops components of the given kinds in order (e.g. collectors, then detectors, then sinks). */
  async stop(order: ComponentKind[] = ['collector', 'detector', 'sink']): Promise<void> {
    this.stopping = true;
    for (const kind of order) {
      await Promise.all(this.slots.filter((s) => s.spec.kind === kind).map((s) => this.halt(s)));
    }
    await Promise.all(this.slots.map((s) => this.halt(s)));
  }

  async flush(): Promise<void> {
    await Promise.all(this.slots.map(async (s) => s.instance?.flush().catch(() => undefined)));
  }

  status(): { name: string; kind: ComponentKind; state: State; ready: boolean; restarts: number; lastError?: string; detail?: string }[] {
    return this.slots.map((s) => {
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

  private async launch(slot: Slot): Promise<void> {
    if (this.stopping) return;
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
    slot.generation++;
    const { code, message } = describeError(err);
    slot.lastError = `${code}: ${message}`;
    slot.state = 'backoff';
    this.upGauge.set({ component: slot.spec.name }, 0);
    const { minBackoffMs: baseDelayMs, maxBackoffMs: maxDelayMs, random } = this.opts;
    const delay = backoffDelay({ maxAttempts: Infinity, baseDelayMs, maxDelayMs, ...(random ? { random } : {}) }, slot.restarts + 1);
    this.opts.logger.error({ component: slot.spec.name, code, err: message, retryInMs: delay }, 'component crashed; restarting after backoff');
    const old = slot.instance;
    slot.instance = undefined;
    const stopping = old?.stop().catch(() => undefined);
    slot.stopping = stopping;
    await stopping;
    if (slot.stopping === stopping) slot.stopping = undefined;
    if (this.stopping) return; // supervisor stop() began meanwhile: no restart
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
