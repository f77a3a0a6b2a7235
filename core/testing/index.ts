/**
 * Test twins shared by every folder's tests (never imported by production code; the dependency lint
 * enforces it): the in-memory Bus, StateStore and Metrics, a recording AlertSink, a ComponentContext
 * with a settable clock, fixture builders, and the toThrowWithCode matcher (registered for every test
 * by ./vitest-setup.ts).
 */
export { MemoryBus } from './memory-bus.js';
export { MemoryStateStore } from './memory-state.js';
export { MemoryMetrics } from './memory-metrics.js';
export { RecordingSink, type SinkBehaviour } from './recording-sink.js';
export { testContext, type TestContext } from './context.js';
export { findingEvent, makeFinding, makeNotification } from './fixtures.js';
export { toThrowWithCode, type ErrorClass } from './to-throw-with-code.js';
