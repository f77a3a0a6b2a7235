import { ChainwatchError } from '../../../core/index.js';

/**
 * A tile log answered with bytes that cannot be what it claims (a hash tile of the wrong length, a
 * truncated entry bundle, a tile without the node asked for). Not retriable: the same request
 * gets the same bytes, and the next poll asks again anyway. Transport failures are HttpErrors and
 * proof failures TlogErrors (core/tlog).
 */
export type TileLogErrorCode = 'TILES_RESPONSE_MALFORMED';

export class TileLogError extends ChainwatchError<TileLogErrorCode> {
  constructor(code: TileLogErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retriable: false });
  }
}
