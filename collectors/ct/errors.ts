import { ChainwatchError } from '../../core/index.js';

/**
 * CT collector failures that are neither transport (core/http HttpError) nor proof (core/tlog
 * TlogError) failures:
 *   CT_KEY_MALFORMED      a log key that is not a DER/PEM SubjectPublicKeyInfo (refused at load)
 *   CT_KEY_UNSUPPORTED    a well-formed key of a type CT logs do not sign with (not P-256 / RSA)
 *   CT_KEY_ID_MISMATCH    the configured log ID is not SHA-256 of the configured key
 *   CT_STH_SIGNATURE_INVALID  a well-formed tree-head signature that the log key did not make
 *                         (security: someone serves heads the log did not sign)
 *   CT_STH_SIGNATURE_MALFORMED a tree-head signature that is not even a SHA-256 DigitallySigned of
 *                         the log key's algorithm (infrastructure: a broken or confused server)
 *   CT_RESPONSE_MALFORMED a log answer that does not parse (JSON shape, base64, TLS structure)
 *   CT_ENTRIES_SHORT      get-entries returned fewer entries than the range needs, after retries
 *   CT_ENTRY_MALFORMED    a logged leaf whose TLS structure does not parse (its hash still audited)
 *   CT_LOGLIST_INVALID    a log list v3 file that does not parse or names no usable log
 *   CT_CONFIG_INVALID     a log entry in config that cannot be followed as given
 *   CT_BACKFILL_STALLED   a backfill's range ends past what the log's verified tree reaches
 */
export type CtErrorCode =
  | 'CT_KEY_MALFORMED'
  | 'CT_KEY_UNSUPPORTED'
  | 'CT_KEY_ID_MISMATCH'
  | 'CT_STH_SIGNATURE_INVALID'
  | 'CT_STH_SIGNATURE_MALFORMED'
  | 'CT_RESPONSE_MALFORMED'
  | 'CT_ENTRIES_SHORT'
  | 'CT_ENTRY_MALFORMED'
  | 'CT_LOGLIST_INVALID'
  | 'CT_CONFIG_INVALID'
  | 'CT_BACKFILL_STALLED';

const RETRIABLE: ReadonlySet<CtErrorCode> = new Set(['CT_ENTRIES_SHORT']);

export class CtError extends ChainwatchError<CtErrorCode> {
  constructor(code: CtErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retriable: RETRIABLE.has(code) });
  }
}
