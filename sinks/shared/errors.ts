import { ChainwatchError } from '../../core/index.js';

/**
 * Raised by sink adapters for non-HTTP wires (SMTP) and for local problems. `SINK_UNAVAILABLE`
 * and `SINK_TIMEOUT` are retriable; `SINK_REJECTED` (the peer refused this message for good) and
 * `SINK_CONFIG` are not.
 */
export type SinkErrorCode = 'SINK_UNAVAILABLE' | 'SINK_TIMEOUT' | 'SINK_REJECTED' | 'SINK_CONFIG';
export class SinkError extends ChainwatchError<SinkErrorCode> {
  constructor(code: SinkErrorCode, message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(code, message, { ...opts, retriable: code === 'SINK_UNAVAILABLE' || code === 'SINK_TIMEOUT' });
  }
}
