import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { FoundAttestation, FoundSignature } from '../../core/index.js';
import { COSIGN_SIGN_PREDICATE } from './statement.js';
import { verifyBundleLayer, isBundleMediaType } from './bundle-layer.js';
import { DSSE_MEDIA_TYPE, SIMPLESIGNING_MEDIA_TYPE, verifyCosignLayer } from './cosign.js';
import { parseKeys, type TrustedKey } from './crypto.js';
import { NOTATION_ARTIFACT_TYPE, notationRecord } from './notation.js';
import { attestationPlaceholder, attestationRecord, fail, signatureRecord, type Checked } from './record.js';
import type { DiscoveredArtifact, DiscoveredLayer, OciTrustOptions, OciVerification } from './types.js';

/** Largest layer verified; the fetcher bounds what it downloads, this bounds what we parse. */
export const MAX_LAYER_BYTES = 16 * 1024 * 1024;
/** The artifact.verified event carries at most 64 of each (core/events/types/registry.ts). */
const MAX_RECORDS = 64;

export interface VerifyContext {
  keys: readonly TrustedKey[];
  root: TrustedRoot | undefined;
  image: { digest: string; reference: string };
  requireTlog: boolean;
}

/**
 * Verifies everything discovery found for one image digest. Pure: no I/O, the trust material is
 * given. Each signature-bearing layer becomes one record; a bad artefact becomes a record with
 * verified=false and an OciTrustError code, never a throw, so one forged referrer cannot hide the
 * good signatures next to it. Layers of unknown media types (an SBOM attached unsigned) are skipped.
 */
export function verifyDiscovered(
  artifacts: readonly DiscoveredArtifact[],
  image: { digest: string; reference: string },
  opts: OciTrustOptions,
): OciVerification {
  const ctx: VerifyContext = { keys: parseKeys(opts.keys), root: opts.trustedRoot, image, requireTlog: opts.requireTlog ?? false };
  const signatures: FoundSignature[] = [];
  const attestations: FoundAttestation[] = [];
  for (const art of artifacts) {
    if (art.artifactType === NOTATION_ARTIFACT_TYPE || art.kind === 'notation') {
      signatures.push(signatureRecord(art, notationRecord(art)));
      continue;
    }
    for (const layer of art.layers) {
      const checked = checkLayer(layer, ctx);
      if (!checked) continue;
      // A bundle's DSSE with cosign's signing predicate is a signature; any other statement is an attestation.
      const isAttestation = checked.attestation !== undefined && checked.attestation.predicateType !== COSIGN_SIGN_PREDICATE;
      if (isAttestation) attestations.push(attestationRecord(art, checked));
      else signatures.push(signatureRecord(art, checked));
    }
  }
  return { signatures: signatures.slice(0, MAX_RECORDS), attestations: attestations.slice(0, MAX_RECORDS) };
}

function checkLayer(layer: DiscoveredLayer, ctx: VerifyContext): Checked | undefined {
  const known = layer.mediaType === SIMPLESIGNING_MEDIA_TYPE || layer.mediaType === DSSE_MEDIA_TYPE || isBundleMediaType(layer.mediaType);
  if (!known) return undefined;
  const format = isBundleMediaType(layer.mediaType) ? 'sigstore-bundle' : 'cosign';
  if (layer.bytes.length > MAX_LAYER_BYTES) {
    const attestation = layer.mediaType === DSSE_MEDIA_TYPE ? attestationPlaceholder() : undefined;
    return { format, failure: fail('TOO_LARGE', `layer of ${layer.bytes.length} bytes exceeds ${MAX_LAYER_BYTES}`), ...(attestation ? { attestation } : {}) };
  }
  return format === 'sigstore-bundle' ? verifyBundleLayer(layer, ctx) : verifyCosignLayer(layer, ctx);
}
