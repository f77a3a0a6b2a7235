// Public surface of the Rekor / tile-log collector (the daemon wires createRekorCollector).
export { createRekorCollector, RekorCollector, anomalyKind } from './collector.js';
export { rekorCollectorConfigSchema, type RekorCollectorConfig, type RekorCollectorConfigInput } from './config.js';
export { RekorError, type RekorErrorCode } from './errors.js';
export { RekorV1Client } from './v1-client.js';
export { TileLogClient } from './tiles-client.js';
export type { Cursor } from './host.js';
export { publicKeyFromTrustedRoot } from './trust-key.js';
