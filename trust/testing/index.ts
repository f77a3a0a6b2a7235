// Reference X.509 parsers and DER helpers the walker's differential and fuzz tests compare against,
// and a generator of managed-key Sigstore bundles for every registry signing algorithm.
export * from './der.js';
export * from './realdata-x509.js';
export * from './x509-reference.js';
export * from './sign-bundle.js';
