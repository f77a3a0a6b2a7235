import { type ArtifactVerified, ArtifactVerifiedEvent, type CloudEvent, type RekorEntry, RekorEntryEvent } from '../../core/index.js';
import type { SignedRecord } from './state.js';

/**
 * What an event shows a key signed, for find-signed: each verified registry signature or
 * attestation with a keyId, and each Rekor public-key signer (its fingerprint is the SPKI SHA-256,
 * the keyId). Keyless identities are not indexed (runbooks act on keys).
 */
export function signedBy(ev: CloudEvent, now: Date): [string, SignedRecord][] {
  const out: [string, SignedRecord][] = [];
  switch (ev.type) {
    case ArtifactVerifiedEvent.type: {
      const d = ev.data as ArtifactVerified;
      const subject = `${d.image.registry}/${d.image.repository}@${d.image.digest}`;
      for (const s of [...d.signatures, ...d.attestations]) {
        if (!s.verified || !s.signer?.keyId) continue; // an unverified signature is not the key signing
        out.push([s.signer.keyId, { subject, digest: d.image.digest, signedAt: s.signedAt ?? d.checkedAt, via: 'registry', eventId: ev.id }]);
      }
      break;
    }
    case RekorEntryEvent.type: {
      const d = ev.data as RekorEntry;
      const dg = d.artifact.digests[0];
      const digest = dg ? `${dg.algorithm}:${dg.value}` : undefined;
      for (const s of d.signers) {
        const keyId = s.kind === 'publicKey' ? s.fingerprintSha256?.toLowerCase() : undefined;
        if (!keyId) continue;
        out.push([
          keyId,
          {
            subject: digest ?? d.uuid,
            ...(digest ? { digest } : {}),
            signedAt: d.integratedTime ?? ev.time ?? now.toISOString(),
            via: 'rekor',
            eventId: ev.id,
          },
        ]);
      }
      break;
    }
  }
  return out;
}
