import { ChainwatchError } from '../errors.js';

/**
 * Every failure of transparency-log verification. None is retriable: a proof or signature that
 * fails once will fail again, and a mismatch is evidence (possible split view), not a glitch.
 */
export type TlogErrorCode =
  // Merkle inclusion proofs
  | 'TLOG_INCLUSION_MISMATCH'
  | 'TLOG_INCLUSION_BAD_PROOF_LENGTH'
  | 'TLOG_INDEX_OUT_OF_RANGE'
  // Merkle consistency proofs
  | 'TLOG_CONSISTENCY_MISMATCH'
  | 'TLOG_CONSISTENCY_BAD_PROOF_LENGTH'
  | 'TLOG_CONSISTENCY_SIZE_ORDER'
  | 'TLOG_CONSISTENCY_FROM_EMPTY'
  | 'TLOG_TREE_SHRANK'
  // Compact ranges / leaf runs
  | 'TLOG_ROOT_MISMATCH'
  | 'TLOG_RANGE_INVALID'
  | 'TLOG_RANGE_NOT_ADJACENT'
  | 'TLOG_BAD_HASH_SIZE'
  | 'TLOG_SIZE_INVALID'
  // Signed notes (C2SP signed-note)
  | 'NOTE_MALFORMED'
  | 'NOTE_NO_SIGNATURE'
  | 'NOTE_UNKNOWN_KEY'
  | 'NOTE_SIGNATURE_INVALID'
  | 'NOTE_QUORUM_NOT_MET'
  // Checkpoints (C2SP tlog-checkpoint)
  | 'CHECKPOINT_MALFORMED'
  | 'CHECKPOINT_ORIGIN_MISMATCH'
  // The checkpoint disagrees with the tree head it came with (Rekor log info JSON, a bundle's proof)
  | 'CHECKPOINT_MISMATCH'
  // Keys (note verifiers here; transparency-log keys in trust/log-keys.ts)
  | 'KEY_MALFORMED'
  | 'KEY_UNSUPPORTED';

export class TlogError extends ChainwatchError<TlogErrorCode> {
  constructor(code: TlogErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retriable: false });
  }
}
