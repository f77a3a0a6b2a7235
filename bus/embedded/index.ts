export { EmbeddedBus } from './embedded-bus.js';
export { type EmbeddedBusConfig, embeddedBusConfigSchema } from './config.js';
