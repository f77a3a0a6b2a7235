// Public surface of the alert pipeline (routing, dedup, aggregation, throttling, durable outbox,
// retries, dead letters). Receivers (sinks/<system>/) only implement core's AlertSink port.
export * from './config.js';
export * from './errors.js';
export * from './routing.js';
export { AlertEngine, notificationId, type IngestResult } from './engine.js';
export { AlertPipeline, createAlertPipeline } from './pipeline.js';
export { listDeadLetters, replayDeadLetters, type DeadLetter } from './dead-letters.js';
export { deadLetterCommands } from './commands.js';
export { createAlertsModule, alertsSectionSchema } from './module.js';
