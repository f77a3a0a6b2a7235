import { ChainwatchError } from '../../core/index.js';

/** Errors of the alert pipeline itself (not of a sink's wire, which raises HttpError or SinkError). */
export type AlertPipelineErrorCode =
  'ALERTS_UNKNOWN_SINK' | 'ALERTS_DUPLICATE_SINK' | 'ALERTS_NOT_STARTED' | 'ALERTS_STORE_FAILED' | 'ALERTS_DEAD_LETTER_NOT_FOUND';
export class AlertPipelineError extends ChainwatchError<AlertPipelineErrorCode> {}
