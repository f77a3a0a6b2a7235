import type { TlogAnomalyKind } from '../../core/index.js';
import { commonAnomalyKind } from '../shared/anomaly/index.js';
import { CtError } from './errors.js';

/**
 * The tlog anomaly kind of a CT failure. The split that matters to detectors/log-integrity:
 * security kinds (the log misbehaves: a proper signature its key did not make, a fork, a rewind,
 * entries that do not hash to the signed root) versus infrastructure kinds (we could not read the
 * log properly: malformed answers, a signature field that is not a signature, short pages).
 */
export function ctAnomalyKind(err: unknown): TlogAnomalyKind {
  if (err instanceof CtError) {
    switch (err.code) {
      case 'CT_STH_SIGNATURE_INVALID':
        return 'signature_invalid';
      case 'CT_ENTRY_MALFORMED':
        return 'entry_malformed';
      case 'CT_STH_SIGNATURE_MALFORMED':
      case 'CT_RESPONSE_MALFORMED':
      case 'CT_ENTRIES_SHORT':
        return 'malformed_response';
      case 'CT_KEY_MALFORMED':
      case 'CT_KEY_UNSUPPORTED':
      case 'CT_KEY_ID_MISMATCH':
      case 'CT_LOGLIST_INVALID':
      case 'CT_CONFIG_INVALID':
      case 'CT_BACKFILL_STALLED':
        return 'malformed_response';
      default: {
        const never: never = err.code;
        return never;
      }
    }
  }
  return commonAnomalyKind(err) ?? 'malformed_response';
}
