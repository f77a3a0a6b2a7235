import type { ArtifactVerified, FoundAttestation, FoundSignature, ImageRef } from '../../core/index.js';
import type { DiscoveredArtifact } from './discovered.js';

/**
 * The two seams the component is composed with (daemon/ wires the real ones):
 * verification (trust/oci's verifyDiscovered, bound to the configured keys and trusted root) and
 * policy evaluation (rules/policy). Both are pure with respect to the bus: they only compute.
 */
export type VerifyArtifacts = (
  artifacts: DiscoveredArtifact[],
  image: { digest: string; reference: string },
) => Promise<{ signatures: FoundSignature[]; attestations: FoundAttestation[] }> | { signatures: FoundSignature[]; attestations: FoundAttestation[] };

export interface PolicyFacts {
  image: ImageRef;
  tags: string[];
  signatures: FoundSignature[];
  attestations: FoundAttestation[];
}

export type EvaluatePolicies = (facts: PolicyFacts) => Promise<Pick<ArtifactVerified, 'policies' | 'verdict'>> | Pick<ArtifactVerified, 'policies' | 'verdict'>;

/** Until rules/policy is wired: no policy applies. */
export const noPolicies: EvaluatePolicies = () => ({ policies: [], verdict: 'no_policy' });
