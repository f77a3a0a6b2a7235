import { type Bus, type ComponentContext, noopMetrics, silentLogger, type StateStore } from '../../core/index.js';
import { MemoryKeyProvider } from '../../core/testing/index.js';

/**
 * The context a component gets in a test or bench against a real peer: the given bus and state
 * store, the wall clock (real logs stamp real times), no logs or metrics, and `fail` throwing so a
 * fatal background error surfaces in the test instead of being swallowed. Unit tests that need a
 * settable clock or recorded metrics use core/testing's testContext instead.
 */
export function liveContext(bus: Bus, state: StateStore, dataDir: string): ComponentContext {
  return {
    bus,
    state,
    logger: silentLogger,
    metrics: noopMetrics,
    dataDir,
    keys: new MemoryKeyProvider(),
    fail: (e: unknown) => {
      throw e;
    },
    now: () => new Date(),
  };
}
