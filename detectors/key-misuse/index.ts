// Public surface of the key-misuse detector (the daemon wires it; nothing else imports it).
export { KeyMisuseDetector, createKeyMisuseDetector } from './detector.js';
export { keyMisuseConfigSchema, type KeyMisuseConfig, type KeyMisuseConfigInput } from './config.js';
export { DETECTOR as KEY_MISUSE_DETECTOR } from './findings.js';
export { KEY_RULES, type KeyRule } from './rules.js';
export { POLICY_FAILURES, RULE_DISCOVERY, RULE_POLICY_OTHER } from './policy.js';
export { keysRevokeCommand, keysRevocationsCommand, keyIdOf } from './commands.js';
export { keyMisuseModule } from './module.js';
