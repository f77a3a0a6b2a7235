import { ChainwatchError } from '../../core/index.js';

/**
 * Failures of the Rekor / tile-log collector that are not plain HTTP (HttpError), Merkle,
 * checkpoint or log-key (core/tlog TlogError) failures. None is retriable: a malformed response or
 * a bad signature is evidence, the next poll fetches again anyway.
 */
export type RekorErrorCode =
  | 'REKOR_RESPONSE_MALFORMED'
  | 'REKOR_ENTRY_MALFORMED'
  | 'REKOR_ENTRY_NOT_CANONICAL'
  | 'REKOR_ENTRY_MISMATCH'
  | 'REKOR_SET_INVALID'
  | 'REKOR_SET_MISSING'
  | 'REKOR_CONFIG_INVALID';

export class RekorError extends ChainwatchError<RekorErrorCode> {
  constructor(code: RekorErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retriable: false });
  }
}
