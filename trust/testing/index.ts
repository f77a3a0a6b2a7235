// Reference X.509 parsers and DER helpers the walker's differential and fuzz tests compare against.
export * from './der.js';
export * from './realdata-x509.js';
export * from './x509-reference.js';
