// Public surface of the registry collector (registry webhooks; durable manifest events).
export { authOf, type PollConfig, pollSchema, registrySectionSchema, type RegistrySection, type SourceConfig, type WebhookSource } from './config.js';
export { RegistryError, type RegistryErrorCode, statusOf } from './errors.js';
export { SEEN_PREFIX, WebhookIntake, type IntakeWindows, type Outcome } from './intake.js';
export { MAX_JSON_DEPTH, parseJsonBody } from './json-body.js';
export { type ManifestDraft, type Parsed, type ParseInput, parseDistribution, parseGitHub, parseHarbor } from './payloads.js';
export { registryModule } from './module.js';
export { RegistryPoller } from './poller.js';
