import { OciTrustError } from './errors.js';
import type { DiscoveredArtifact, OciTrustOptions, OciVerification } from './types.js';

/** Verifies everything discovery found for one image digest; a bad artefact becomes a record, never a throw. */
export function verifyDiscovered(
  _artifacts: readonly DiscoveredArtifact[],
  _image: { digest: string; reference: string },
  _opts: OciTrustOptions,
): OciVerification {
  throw new OciTrustError('NOT_IMPLEMENTED', 'verifyDiscovered is not implemented yet');
}
