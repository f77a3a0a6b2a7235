import type { ArtifactSigner, FoundAttestation, FoundSignature } from '../../core/index.js';
import { describeError } from '../../core/index.js';
import { OciTrustError, type OciTrustErrorCode } from './errors.js';
import type { DiscoveredArtifact } from './types.js';

type Format = FoundSignature['format'];
type Tlog = NonNullable<FoundSignature['tlog']>;

/** What one layer's verification established, before it is shaped into a record. */
export interface Checked {
  format: Format;
  signer?: ArtifactSigner;
  tlog?: Tlog;
  /** Set when the attestation's statement was read (even if its signature then failed). */
  attestation?: Pick<FoundAttestation, 'predicateType' | 'subjectMatches' | 'predicateSha256' | 'predicateBytes' | 'predicate' | 'summary'>;
  /** The failure, if any; undefined = verified. */
  failure?: OciTrustError;
}

export function toFailure(err: unknown): OciTrustError {
  if (err instanceof OciTrustError) return err;
  return new OciTrustError('PAYLOAD_MALFORMED', describeError(err).message, err);
}

export const fail = (code: OciTrustErrorCode, message: string, cause?: unknown): OciTrustError => new OciTrustError(code, message, cause);

export function signatureRecord(art: DiscoveredArtifact, c: Checked): FoundSignature {
  const r: FoundSignature = { format: c.format, foundBy: art.foundBy, ref: art.ref, verified: c.failure === undefined, timestamps: [] };
  if (c.failure) {
    r.errorCode = c.failure.code;
    r.error = c.failure.message.slice(0, 1000);
  }
  if (c.signer) r.signer = c.signer;
  if (c.tlog) {
    r.tlog = c.tlog;
    // The integrated time is evidence only once the SET / inclusion proof checked against a trusted log key.
    if (c.tlog.verified && c.tlog.integratedTime) {
      r.signedAt = c.tlog.integratedTime;
      r.timestamps = [c.tlog.integratedTime];
    }
  }
  return r;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What an attestation record says before (or when) its statement could not be read. */
export const attestationPlaceholder = (): NonNullable<Checked['attestation']> => ({
  predicateType: 'unknown',
  subjectMatches: false,
  predicateSha256: EMPTY_SHA256,
  predicateBytes: 0,
  summary: {},
});

export function attestationRecord(art: DiscoveredArtifact, c: Checked): FoundAttestation {
  return { ...signatureRecord(art, c), ...(c.attestation ?? attestationPlaceholder()) };
}

export const tlogTime = (seconds: number): string => new Date(seconds * 1000).toISOString();
