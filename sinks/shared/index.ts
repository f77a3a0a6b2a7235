// The receiver kit: what every sink adapter (sinks/<system>/) shares. The alert pipeline itself
// (routing, dedup, outbox) is sinks/alerts; adapters never import it, they only implement AlertSink.
export { SinkError, type SinkErrorCode } from './errors.js';
export { redactSecrets, sinkHttpClient, wireCall, type WireCall } from './wire.js';
export { evidenceText, formatNotificationText, formatTitle, occurrenceLine } from './format.js';
