// OCI signature/attestation verification: pure checks of what registry discovery found for an image digest.
export { verifyDiscovered, MAX_LAYER_BYTES } from './verify.js';
export { OciTrustError, type OciTrustErrorCode } from './errors.js';
export { SIMPLESIGNING_MEDIA_TYPE, DSSE_MEDIA_TYPE } from './cosign.js';
export { NOTATION_ARTIFACT_TYPE } from './notation.js';
export { isBundleMediaType } from './bundle-layer.js';
export { summarizePredicate } from './predicate.js';
export type { DiscoveredArtifact, DiscoveredLayer, OciTrustOptions, OciVerification } from './types.js';
