import { ChainwatchError } from '../core/index.js';

/**
 * Failures while obtaining a Sigstore trusted root, or a log key from it. Only TUF_UNAVAILABLE is
 * retriable: the repository may come back, while an unreadable or malformed root stays that way.
 * (Checkpoint and log-key material failures are core/tlog TlogError codes: one set for one concept.)
 */
export type TrustErrorCode = 'TRUST_ROOT_UNREADABLE' | 'TRUST_ROOT_INVALID' | 'TRUST_ROOT_UNAVAILABLE' | 'TUF_UNAVAILABLE' | 'TRUST_LOG_KEY_NOT_FOUND';

export class TrustError extends ChainwatchError<TrustErrorCode> {
  constructor(code: TrustErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retriable: code === 'TUF_UNAVAILABLE' });
  }
}

/**
 * One code per step of bundle verification (trust/bundle.ts), so a caller can tell "this is not
 * a bundle" from "the signature is wrong" from "signed by someone else". Never retriable:
 * verification is a pure function of its inputs.
 */
export type BundleVerifyErrorCode =
  | 'BUNDLE_MALFORMED'
  | 'BUNDLE_ARTIFACT_MISMATCH'
  | 'BUNDLE_DIGEST_MALFORMED'
  | 'BUNDLE_KEY_INVALID'
  | 'BUNDLE_TRUST_MATERIAL_INVALID'
  | 'BUNDLE_TIMESTAMP_INVALID'
  | 'BUNDLE_CERTIFICATE_INVALID'
  | 'BUNDLE_TLOG_INVALID'
  | 'BUNDLE_SIGNATURE_INVALID'
  | 'BUNDLE_POLICY_MISMATCH';

export class BundleVerifyError extends ChainwatchError<BundleVerifyErrorCode> {
  constructor(code: BundleVerifyErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retriable: false });
  }
}
