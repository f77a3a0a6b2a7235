import { type ComponentContext, silentLogger } from '../index.js';
import { MemoryBus } from './memory-bus.js';
import { MemoryKeyProvider } from './memory-keys.js';
import { MemoryMetrics } from './memory-metrics.js';
import { MemoryStateStore } from './memory-state.js';

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
    keys: new MemoryKeyProvider(),
    fail: (err) => errors.push(err),
    now: () => new Date(clock.ms),
    clock,
    errors,
  };
}
