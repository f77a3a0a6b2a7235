// Public surface of the alert pipeline, shared by every sink adapter (sinks/<system>/) and the daemon.
export * from './config.js';
export * from './errors.js';
export * from './http.js';
export { redactSecrets, wireCall, type WireCall } from './wire.js';
export * from './secret.js';
export * from './routing.js';
export { AlertEngine, notificationId, type IngestResult } from './engine.js';
export { AlertPipeline, createAlertPipeline } from './pipeline.js';
export { deadLettersCommand, listDeadLetters, replayDeadLetters, type DeadLetter } from './dead-letters.js';
export { evidenceText, formatNotificationText, formatTitle, occurrenceLine } from './format.js';
