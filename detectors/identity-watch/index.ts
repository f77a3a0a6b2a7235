// Public surface of the identity-watch detector (the daemon wires it; nothing else imports it).
export { createIdentityWatchDetector, IdentityWatchDetector, type IdentityWatchDeps } from './detector.js';
export { identityWatchConfigSchema, type IdentityWatchConfig, type IdentityWatchConfigInput } from './config.js';
export { DETECTOR as IDENTITY_WATCH_DETECTOR, RULE_EXPECTED, RULE_UNEXPECTED } from './findings.js';
