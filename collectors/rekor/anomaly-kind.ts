import { commonAnomalyKind } from '../shared/anomaly/index.js';
import type { TlogAnomalyKind } from '../../core/index.js';
import { RekorError } from './errors.js';

/**
 * Maps a failure to the anomaly kind of core/events/types/tlog.ts, by class and code: Rekor's own
 * errors here, the ones every log collector shares in collectors/shared/anomaly. Detectors page on
 * the kind, so a new code must be placed on purpose (exhaustive switches).
 */
export function anomalyKind(err: unknown): TlogAnomalyKind {
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
  return commonAnomalyKind(err) ?? 'malformed_response';
}
