// Public surface of the Rekor / tile-log collector (the daemon wires createRekorCollector).
export { createRekorCollector, RekorCollector } from './collector.js';
export { anomalyKind } from './anomaly-kind.js';
export { rekorCollectorConfigSchema, type RekorCollectorConfig, type RekorCollectorConfigInput } from './config.js';
export { RekorError, type RekorErrorCode } from './errors.js';
export { RekorV1Client } from './v1-client.js';
export type { Cursor } from './host.js';
export { hexBytes, type V1LogEntry } from './v1-client.js';
export { verifyV1Entry } from './verify-entry.js';
