import { ChainwatchError } from '../../core/index.js';

/** Errors of the alert pipeline itself (not of a sink's wire, which raises HttpError or SinkError). */
export type AlertPipelineErrorCode =
  'ALERTS_UNKNOWN_SINK' | 'ALERTS_DUPLICATE_SINK' | 'ALERTS_NOT_STARTED' | 'ALERTS_STORE_FAILED' | 'ALERTS_DEAD_LETTER_NOT_FOUND';
export class AlertPipelineError extends ChainwatchError<AlertPipelineErrorCode> {}

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
