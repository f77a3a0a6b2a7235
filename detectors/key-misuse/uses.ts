import {
  type ArtifactSigner,
  type ArtifactVerified,
  type CloudEvent,
  imageSubject,
  type KeyRevoked,
  type RekorEntry,
  revocationSubject,
  type SignerIdentity,
} from '../../core/index.js';
import { claimsOf, type SignerClaims } from '../../rules/identity/index.js';

/**
 * One use of a signing key or identity: a signer that signed one artifact, as an artifact.verified
 * event (a verified signature or attestation found in a registry) or a verified Rekor entry shows
 * it. Unverified registry signatures are not uses: their signer claims prove nothing.
 */
export interface Use {
  /** Revocation subjects this use matches: "key:<keyId>" and/or "identity:<issuer>|<san>". */
  keys: string[];
  /** The signer as one stable label (first of keys, else "fingerprint:<sha256>"). */
  label: string;
  signer: SignerIdentity & { keyId?: string };
  claims: SignerClaims;
  /** Best evidence of when it was signed (TSA, tlog integrated time), else when we saw it. */
  signedAt: string;
  timeSource: 'tsa' | 'tlog' | 'observed';
  /** Every trusted signing time (TSA timestamps, tlog integrated time): what a certificate must cover. */
  times: string[];
  /** Finding subject: the image ("<registry>/<repository>@<digest>") or the logged digest / entry UUID. */
  subject: string;
  digest: string | undefined;
  /** Image repository ("<registry>/<repository>") or source repository ("github.com/o/r"). */
  repository: string | undefined;
  eventId: string;
  via: 'registry' | 'rekor';
}

/** What the use history keeps per key or identity, to judge a revocation that arrives late. */
export type UseRecord = Pick<Use, 'keys' | 'label' | 'signedAt' | 'timeSource' | 'subject' | 'digest' | 'repository' | 'eventId' | 'via'> & {
  san?: string;
  issuer?: string;
  keyId?: string;
};

export function recordOf(u: Use): UseRecord {
  const r: UseRecord = {
    keys: u.keys,
    label: u.label,
    signedAt: u.signedAt,
    timeSource: u.timeSource,
    subject: u.subject,
    digest: u.digest,
    repository: u.repository,
    eventId: u.eventId,
    via: u.via,
  };
  if (u.signer.san) r.san = u.signer.san;
  if (u.claims.issuer) r.issuer = u.claims.issuer;
  if (u.signer.keyId) r.keyId = u.signer.keyId;
  return r;
}

function keysOf(s: SignerIdentity & { keyId?: string }, c: SignerClaims): string[] {
  const out: string[] = [];
  if (s.keyId) out.push(revocationSubject({ kind: 'key', keyId: s.keyId } as KeyRevoked));
  if (c.issuer && c.san) out.push(revocationSubject({ kind: 'identity', issuer: c.issuer, subject: c.san } as KeyRevoked));
  return out;
}

function labelOf(keys: string[], s: SignerIdentity): string | undefined {
  // An identity outlives its per-signature keys (keyless): prefer it as the label.
  return keys.find((k) => k.startsWith('identity:')) ?? keys[0] ?? (s.fingerprintSha256 ? `fingerprint:${s.fingerprintSha256}` : undefined);
}

export function usesFromArtifact(ev: CloudEvent, a: ArtifactVerified): Use[] {
  const byLabel = new Map<string, Use>();
  for (const found of [...a.signatures, ...a.attestations]) {
    if (!found.verified || !found.signer || found.signer.kind === 'unknown') continue;
    const signer: ArtifactSigner = found.signer;
    const claims = claimsOf(signer);
    const keys = keysOf(signer, claims);
    const label = labelOf(keys, signer);
    if (!label) continue;
    // `timestamps` holds the verified tlog integrated time too (trust/oci): a TSA time is any other one.
    const integrated = found.tlog?.integratedTime;
    const tsa = found.timestamps.filter((t) => t !== integrated);
    const times = [...new Set([...found.timestamps, ...(integrated ? [integrated] : [])])];
    const signedAt = found.signedAt ?? tsa[0] ?? integrated;
    const timeSource = tsa.length > 0 ? 'tsa' : signedAt ? 'tlog' : 'observed';
    const prev = byLabel.get(label);
    if (prev) {
      prev.times.push(...times.filter((t) => !prev.times.includes(t)));
      continue;
    }
    byLabel.set(label, {
      keys,
      label,
      signer,
      claims,
      signedAt: signedAt ?? a.checkedAt,
      timeSource,
      times,
      subject: imageSubject(a.image),
      digest: a.image.digest,
      repository: `${a.image.registry}/${a.image.repository}`,
      eventId: ev.id,
      via: 'registry',
    });
  }
  return [...byLabel.values()];
}

export function usesFromRekor(ev: CloudEvent, e: RekorEntry): Use[] {
  const d = e.artifact.digests[0];
  const digest = d ? `${d.algorithm}:${d.value}` : undefined;
  const out: Use[] = [];
  for (const signer of e.signers) {
    if (signer.kind === 'unknown') continue;
    // For a bare public key the fingerprint IS the SPKI hash (the keyId); a certificate's is not.
    const s = signer.kind === 'publicKey' && signer.fingerprintSha256 ? { ...signer, keyId: signer.fingerprintSha256.toLowerCase() } : signer;
    const claims = claimsOf(s);
    const keys = keysOf(s, claims);
    const label = labelOf(keys, s);
    if (!label) continue;
    out.push({
      keys,
      label,
      signer: s,
      claims,
      signedAt: e.integratedTime ?? ev.time ?? new Date().toISOString(),
      timeSource: e.integratedTime ? 'tlog' : 'observed',
      times: e.integratedTime ? [e.integratedTime] : [],
      subject: digest ?? e.uuid,
      digest,
      repository: claims.sourceRepository,
      eventId: ev.id,
      via: 'rekor',
    });
  }
  return out;
}
