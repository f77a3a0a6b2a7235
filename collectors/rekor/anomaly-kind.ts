import { HttpError } from '../../core/index.js';
import type { TlogAnomalyKind } from '../../core/index.js';
import { TlogError, type TlogErrorCode } from '../../core/tlog/index.js';
import { TileLogError } from '../shared/tiles/index.js';
import { RekorError } from './errors.js';

/**
 * Maps a failure to the anomaly kind of core/events/types/tlog.ts, by class and code. Detectors
 * page on the kind, so a new code must be placed here on purpose (exhaustive switches).
 */
export function anomalyKind(err: unknown): TlogAnomalyKind {
  if (err instanceof HttpError) {
    switch (err.code) {
      case 'HTTP_RATE_LIMITED':
        return 'rate_limited';
      case 'HTTP_SERVER_ERROR':
        return 'server_error';
      case 'HTTP_UNREACHABLE':
      case 'HTTP_TIMEOUT':
        return 'unreachable';
      default:
        return 'malformed_response';
    }
  }
  if (err instanceof TlogError) return tlogAnomalyKind(err.code);
  if (err instanceof RekorError) {
    switch (err.code) {
      case 'REKOR_SET_INVALID':
      case 'REKOR_SET_MISSING':
        return 'set_invalid';
      case 'REKOR_ENTRY_MALFORMED':
      case 'REKOR_ENTRY_NOT_CANONICAL':
      case 'REKOR_ENTRY_MISMATCH':
        return 'entry_malformed';
      case 'REKOR_RESPONSE_MALFORMED':
      case 'REKOR_CONFIG_INVALID':
        return 'malformed_response';
      default: {
        const never: never = err.code;
        return never;
      }
    }
  }
  if (err instanceof TileLogError) {
    switch (err.code) {
      case 'TILES_RESPONSE_MALFORMED':
        return 'malformed_response';
      default: {
        const never: never = err.code;
        return never;
      }
    }
  }
  return 'malformed_response';
}

function tlogAnomalyKind(code: TlogErrorCode): TlogAnomalyKind {
  switch (code) {
    case 'TLOG_TREE_SHRANK':
      return 'tree_shrank';
    case 'TLOG_CONSISTENCY_MISMATCH':
    case 'TLOG_CONSISTENCY_BAD_PROOF_LENGTH':
    case 'TLOG_CONSISTENCY_SIZE_ORDER':
    case 'TLOG_CONSISTENCY_FROM_EMPTY':
      return 'consistency_failed';
    case 'TLOG_INCLUSION_MISMATCH':
    case 'TLOG_INCLUSION_BAD_PROOF_LENGTH':
    case 'TLOG_INDEX_OUT_OF_RANGE':
    case 'TLOG_ROOT_MISMATCH':
    case 'TLOG_RANGE_INVALID':
    case 'TLOG_RANGE_NOT_ADJACENT':
    case 'TLOG_BAD_HASH_SIZE':
    case 'TLOG_SIZE_INVALID':
      return 'inclusion_failed';
    // The log's key did not sign this head (or signed another log's origin): evidence of misbehaviour.
    case 'NOTE_UNKNOWN_KEY':
    case 'NOTE_SIGNATURE_INVALID':
    case 'NOTE_QUORUM_NOT_MET':
    case 'CHECKPOINT_ORIGIN_MISMATCH':
    case 'KEY_MALFORMED':
    case 'KEY_UNSUPPORTED':
      return 'signature_invalid';
    // A checkpoint that does not even parse, or contradicts the response it came in, is a bad response.
    case 'NOTE_MALFORMED':
    case 'NOTE_NO_SIGNATURE':
    case 'CHECKPOINT_MALFORMED':
    case 'CHECKPOINT_MISMATCH':
      return 'malformed_response';
    default: {
      const never: never = code;
      return never;
    }
  }
}
