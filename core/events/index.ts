// Importing this module registers every event type chainwatch knows (side effect of each
// types/*.ts file). Add new types as a file under types/ and one import/export line here.
export * from './envelope.js';
export * from './registry.js';
export * from './types/finding.js';
export * from './types/system.js';
export * from './types/rekor.js';
export * from './types/tlog.js';
export * from './types/audit.js';
export * from './types/ct.js';
export * from './types/ct-watched.js';
export * from './types/registry.js';
export * from './types/keys.js';
export * from './types/k8s.js';
export * from './types/runbook.js';
