import { HttpError } from '../../../core/index.js';
import type { TlogAnomalyKind } from '../../../core/index.js';
import { TlogError, type TlogErrorCode } from '../../../core/tlog/index.js';
import { TileLogError } from '../tiles/index.js';

/**
 * The anomaly kind (core/events/types/tlog.ts) of the failures every log collector shares: HTTP,
 * core/tlog proofs and signatures, tile-log wire. Each collector maps its own error class first
 * and falls back to this. Detectors page on the kind, so a new code must be placed here on purpose
 * (exhaustive switches). Undefined: not one of these classes.
 */
export function commonAnomalyKind(err: unknown): TlogAnomalyKind | undefined {
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
  return undefined;
}

export function tlogAnomalyKind(code: TlogErrorCode): TlogAnomalyKind {
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
export * from './events.js';
