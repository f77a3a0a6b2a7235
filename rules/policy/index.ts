// Public surface of the image policies: loader, set, reloading holder, errors, schema.
export * from './errors.js';
export type { ImagePolicy, Authority, AttestationRequirement } from './schema.js';
export { loadPolicies, buildPolicySet } from './loader.js';
export { loadCel } from './cel.js';
export { PolicySet, type SetVerdict } from './set.js';
export { PolicyHolder, type PolicyHolderOptions, type ReloadOutcome } from './holder.js';
export type { Facts, Failure } from './evaluate.js';
export { keyIdOfPem } from './compile.js';
export { imageGlobToRegExp, parseImageReference } from './image.js';
