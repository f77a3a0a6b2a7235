// Public surface of the identity rules: policy schema, loader, compiler, claims.
export * from './errors.js';
export * from './schema.js';
export * from './loader.js';
export * from './compile.js';
export { claimsOf, normalizeFingerprint, normalizeRepository, type SignerClaims } from './claims.js';
export { FULCIO_EXTENSIONS, FULCIO_OID_ARC, type FulcioExtensionName } from './fulcio.js';
export { anyGlob, globToRegExp, type Matcher } from './glob.js';
