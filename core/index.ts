// Public surface of core: errors, retry, events, ports. Nothing here imports other chainwatch folders.
export * from './errors.js';
export * from './retry.js';
export * from './events/index.js';
export * from './ports/bus.js';
export * from './ports/state.js';
export * from './ports/logger.js';
export * from './ports/metrics.js';
export * from './ports/component.js';
export * from './bus/process-record.js';
export * from './ports/sink.js';
export * from './doorbell.js';
export * from './config.js';
export * from './http/index.js';
export * from './duration.js';
export * from './config-fields.js';
export * from './secret.js';
export * from './canonical-json.js';
