/**
 * Test twins shared by every folder's tests (never imported by production code; the dependency lint
 * enforces it): the in-memory Bus, StateStore, Metrics and KeyProvider, a recording AlertSink, a
 * ComponentContext with a settable clock, fixture builders, a command runner, a power-loss
 * simulator for SQLite files in WAL mode, and the toThrowWithCode matcher (registered for every
 * test by ./vitest-setup.ts).
 */
export { MemoryBus } from './memory-bus.js';
export { MemoryStateStore } from './memory-state.js';
export { MemoryMetrics } from './memory-metrics.js';
export { MemoryKeyProvider } from './memory-keys.js';
export { cuts, diskImage, type DiskImage, outcomes, restore, walFrames, walPageSize, withHole } from './sqlite-power-loss.js';
export { RecordingSink, type SinkBehaviour } from './recording-sink.js';
export { testContext, type TestContext } from './context.js';
export { findingEvent, makeFinding, makeNotification, notificationFor, openSignal, rekorForkFinding, unexpectedSignerFinding } from './fixtures.js';
export { assertNoSecrets, rejectionOf } from './secrets.js';
export { invokeCommand, type CommandResult } from './command.js';
export { toThrowWithCode, type ErrorClass } from './to-throw-with-code.js';
export { REALDATA, realdata } from './realdata.js';
export {
  type Fault,
  type Handler,
  INVALID_JSON,
  type RecordedRequest,
  RecordingServer,
  type RecordingServerOptions,
  type Reply,
  startRecordingProxy,
  startRecordingServer,
} from './recording-server.js';
export { freePort } from './free-port.js';
export { capPages, RecordingStorageMonitor, sqliteFullError } from './full-disk.js';
