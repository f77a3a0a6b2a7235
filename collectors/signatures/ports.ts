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

const FORMAT_OF: Record<DiscoveredArtifact['kind'], FoundSignature['format']> = {
  'cosign-signature': 'cosign',
  'cosign-attestation': 'cosign',
  'sigstore-bundle': 'sigstore-bundle',
  notation: 'notation',
  unknown: 'unknown',
};

/**
 * Until trust/oci is wired: every found artifact is reported, none is verified (errorCode
 * VERIFIER_UNAVAILABLE), so nothing is ever claimed signed without a verification.
 */
export const reportUnverified: VerifyArtifacts = (artifacts) => ({
  signatures: artifacts.map((a) => ({
    format: FORMAT_OF[a.kind],
    foundBy: a.foundBy,
    ref: a.ref,
    verified: false,
    errorCode: 'VERIFIER_UNAVAILABLE',
    timestamps: [],
  })),
  attestations: [],
});
