import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { FoundAttestation, FoundSignature } from '../../core/index.js';

/** One layer of a discovered manifest, with its bytes (the fetcher bounds their size). */
export interface DiscoveredLayer {
  mediaType: string;
  digest: string;
  bytes: Uint8Array;
  annotations: Record<string, string>;
}

/** A signature/attestation manifest that discovery found for one image digest. */
export interface DiscoveredArtifact {
  kind: 'cosign-signature' | 'cosign-attestation' | 'sigstore-bundle' | 'notation' | 'unknown';
  foundBy: 'tag' | 'referrers' | 'referrers-tag';
  /** Digest of the manifest holding it. */
  ref: string;
  artifactType?: string;
  manifestMediaType?: string;
  /** Manifest annotations. */
  annotations: Record<string, string>;
  /** Layers with their bytes (bounded by the fetcher). */
  layers: DiscoveredLayer[];
}

export interface OciTrustOptions {
  /** Trusted public keys (cosign keys), PEM SubjectPublicKeyInfo. */
  keys: ReadonlyArray<{ name: string; publicKeyPem: string }>;
  /** Keyless trust material: Fulcio CAs, Rekor/CT log keys, TSAs. Without it keyless signatures do not verify. */
  trustedRoot?: TrustedRoot;
  /** Reference time for key validity when no tlog/TSA time is known; defaults to now. */
  now?: Date;
  /** Key-based signatures must also carry verified tlog evidence (keyless always needs tlog or TSA evidence). */
  requireTlog?: boolean;
}

export interface OciVerification {
  signatures: FoundSignature[];
  attestations: FoundAttestation[];
}
