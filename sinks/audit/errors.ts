import { ChainwatchError } from '../../core/index.js';

/**
 * Errors of the audit trail. Store I/O trouble is retriable (the sink retries the batch and
 * does not commit its bus offsets meanwhile); everything about record content or integrity is not.
 */
export type AuditErrorCode =
  | 'AUDIT_RECORD_INVALID'
  | 'AUDIT_NOT_FOUND'
  | 'AUDIT_STORE_UNAVAILABLE'
  | 'AUDIT_WRITE_FAILED'
  | 'AUDIT_STORE_CLOSED'
  | 'AUDIT_CONFIG_INVALID'
  | 'AUDIT_KEY_UNREADABLE'
  | 'AUDIT_NO_CHECKPOINT'
  | 'AUDIT_STORE_NOT_FOUND'
  | 'AUDIT_CHECKPOINT_FILE_INVALID'
  | 'AUDIT_USAGE';

export class AuditError extends ChainwatchError<AuditErrorCode> {
  constructor(code: AuditErrorCode, message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(code, message, opts);
  }
}

/**
 * What `audit verify` found wrong, in the order it checks. Each names the first record (index)
 * or checkpoint (size) where the trail stops being intact.
 */
export type IntegrityProblem =
  | 'RECORD_MISSING' // a gap in the sequence: a record was deleted (or never written)
  | 'RECORD_OUT_OF_ORDER' // the record at position i says it is record j: rows were reordered
  | 'RECORD_UNPARSABLE' // the stored body is not JSON / not a record
  | 'RECORD_NOT_CANONICAL' // the body was rewritten in a different serialisation
  | 'RECORD_HASH_MISMATCH' // the body no longer hashes to the leaf hash stored beside it
  | 'RECORD_FIELDS_MISMATCH' // searchable fields differ from the signed body (queries would lie)
  | 'NODE_MISMATCH' // the stored node cache differs from the recomputed tree (proofs would fail)
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'CHECKPOINT_ROOT_MISMATCH' // records changed after a checkpoint covered them
  | 'CHECKPOINT_INCONSISTENT' // two checkpoints are not one append-only history
  | 'CHECKPOINT_BEYOND_RECORDS' // a checkpoint covers records the store no longer has
  | 'CHECKPOINT_KEY_OUT_OF_RANGE' // signed by a key of the history outside its validity range
  | 'KEY_HISTORY_TAMPERED' // a key history entry's predecessor signature does not verify
  | 'RECORD_OUT_OF_RANGE' // a row stored at a position outside [0, size), e.g. a negative index
  | 'ROW_CENSUS_MISMATCH' // a table holds more (or other) rows than the verified tree size implies
  | 'WITNESS_MISSING' // a required witness did not cosign the latest checkpoint (e.g. a history re-signed with the local key alone)
  | 'WITNESS_COSIGNATURE_INVALID' // a required witness's cosignature line does not verify
  // Unverifiable rather than broken: nothing signed contradicts the store, but signatures that
  // the configured cadence guarantees are absent (deleted, or never written because of a crash).
  | 'UNSIGNED_RANGE' // more records, or older ones, after the latest checkpoint than the cadence allows
  | 'CHECKPOINT_MISSING'; // two consecutive checkpoints are further apart than the cadence allows

/** `intact`: everything signed matches; `broken`: the store contradicts a signature or itself; `unverifiable`: signatures are missing. */
export type Verdict = 'intact' | 'broken' | 'unverifiable';

export function verdictOf(problem: IntegrityProblem | undefined): Verdict {
  if (problem === undefined) return 'intact';
  return problem === 'UNSIGNED_RANGE' || problem === 'CHECKPOINT_MISSING' ? 'unverifiable' : 'broken';
}
