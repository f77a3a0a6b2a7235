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

/**
 * Why bytes are not an acceptable X.509 certificate (trust/x509.ts). One code per kind of defect,
 * so `inspect cert` and the CT watcher can say what is wrong; `field` names the part of the
 * certificate (e.g. "tbsCertificate.subject", "extensions.2.5.29.37"). Never retriable: the
 * bytes stay what they are.
 */
export type X509ErrorCode =
  | 'X509_EMPTY'
  | 'X509_PEM_INVALID'
  | 'X509_DER_INVALID'
  | 'X509_SIGNATURE_ALGORITHM_MISMATCH'
  | 'X509_NAME_INVALID'
  | 'X509_PUBLIC_KEY_INVALID'
  | 'X509_EXTENSION_INVALID';

export class X509Error extends ChainwatchError<X509ErrorCode> {
  readonly field: string | undefined;
  constructor(code: X509ErrorCode, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause, retriable: false });
    this.field = opts.field;
  }
}
