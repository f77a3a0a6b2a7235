// Public surface of the log-integrity detector (the daemon wires it; nothing else imports it).
export { createLogIntegrityDetector, LogIntegrityDetector } from './detector.js';
export { logIntegrityConfigSchema, type LogIntegrityConfig, type LogIntegrityConfigInput } from './config.js';
export { RULES as LOG_INTEGRITY_RULES } from './rules.js';
export { DETECTOR as LOG_INTEGRITY_DETECTOR } from './findings.js';
