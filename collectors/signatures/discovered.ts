/**
 * What discovery hands to verification (trust/oci's verifyDiscovered): one signature or attestation
 * manifest with its layers' bytes. Mirrors trust/oci's DiscoveredArtifact until that lands; the
 * lead replaces this file with a re-export at merge.
 */
export type DiscoveredKind = 'cosign-signature' | 'cosign-attestation' | 'sigstore-bundle' | 'notation' | 'unknown';

export interface DiscoveredLayer {
  mediaType: string;
  digest: string;
  /** The layer's bytes (digest-checked); empty for `unknown` artifacts, which are listed, not read. */
  bytes: Uint8Array;
  annotations: Record<string, string>;
}

export interface DiscoveredArtifact {
  kind: DiscoveredKind;
  foundBy: 'tag' | 'referrers' | 'referrers-tag';
  /** Digest of the manifest that holds it. */
  ref: string;
  artifactType?: string;
  manifestMediaType?: string;
  annotations: Record<string, string>;
  layers: DiscoveredLayer[];
}
