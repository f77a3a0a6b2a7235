// Public surface of the cert-expiry detector (the daemon wires it; nothing else imports it).
export { CertExpiryDetector, createCertExpiryDetector, type CertExpiryDeps } from './detector.js';
export { certExpiryConfigSchema, type CertExpiryConfig, type CertExpiryConfigInput } from './config.js';
export { DETECTOR as CERT_EXPIRY_DETECTOR, RULE_EXPIRING, RULE_ROTATION_DUE } from './findings.js';
export { certsListCommand } from './commands.js';
