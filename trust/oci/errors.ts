import { ChainwatchError } from '../../core/index.js';

/**
 * Why a discovered OCI signature or attestation did not verify (trust/oci). One code per kind of
 * defect so policies and alerts can tell "signed by someone we do not trust" from "tampered".
 * Never retriable: verification is a pure function of the bytes and the trust material.
 */
export type OciTrustErrorCode =
  | 'SIGNATURE_INVALID'
  | 'SUBJECT_MISMATCH'
  | 'UNTRUSTED_KEY'
  | 'CERT_UNTRUSTED'
  | 'CERT_EXPIRED'
  | 'TLOG_INVALID'
  | 'TLOG_MISSING'
  | 'TIMESTAMP_INVALID'
  | 'PAYLOAD_MALFORMED'
  | 'NOTATION_UNSUPPORTED'
  | 'UNSUPPORTED'
  | 'TOO_LARGE'
  | 'NOT_IMPLEMENTED';

export class OciTrustError extends ChainwatchError<OciTrustErrorCode> {
  constructor(code: OciTrustErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retriable: false });
  }
}
