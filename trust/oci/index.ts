// OCI signature/attestation verification: pure checks of what registry discovery found for an image digest.
export { verifyDiscovered } from './verify.js';
export { OciTrustError, type OciTrustErrorCode } from './errors.js';
export type { DiscoveredArtifact, DiscoveredLayer, OciTrustOptions, OciVerification } from './types.js';
