import { ChainwatchError } from '../../../core/index.js';

/**
 * Why the witness refused to cosign (the refusals of c2sp.org/tlog-witness's add-checkpoint:
 * unknown log key 403, conflict 409, bad proof 422), or could not.
 */
export type WitnessErrorCode =
  | 'WITNESS_UNKNOWN_LOG' // the checkpoint is not signed by a log key the witness knows
  | 'WITNESS_CONFLICT' // smaller than, or a different root at the size of, what it cosigned last (a rollback or a fork)
  | 'WITNESS_PROOF_INVALID' // the consistency proof from its last cosigned checkpoint does not verify
  | 'WITNESS_STATE_UNREADABLE'
  | 'WITNESS_STATE_WRITE_FAILED'
  | 'WITNESS_KEY_UNSUITABLE'; // not Ed25519, or the very key that signs the checkpoints

export class WitnessError extends ChainwatchError<WitnessErrorCode> {
  constructor(code: WitnessErrorCode, message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(code, message, opts);
  }
}
