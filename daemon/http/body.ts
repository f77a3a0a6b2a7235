import type { IncomingMessage } from 'node:http';
import { ChainwatchError } from '../../core/index.js';

/** A body the route does not accept: too large (413), or the client stopped sending (400). */
export class BodyError extends ChainwatchError<'REQUEST_BODY_TOO_LARGE' | 'REQUEST_BODY_INCOMPLETE'> {
  get status(): 400 | 413 {
    return this.code === 'REQUEST_BODY_TOO_LARGE' ? 413 : 400;
  }
}

/** The media type of a Content-Type header, lower-cased, without parameters ("application/json"). */
export function mediaType(header: string | undefined): string | undefined {
  const t = header?.split(';')[0]?.trim().toLowerCase();
  return t || undefined;
}

/**
 * Reads a request body of at most `max` bytes. A declared Content-Length above the limit is
 * refused before reading anything; a chunked body is cut off as soon as it passes the limit.
 */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw new BodyError('REQUEST_BODY_TOO_LARGE', `body larger than ${max} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) throw new BodyError('REQUEST_BODY_TOO_LARGE', `body larger than ${max} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    throw new BodyError('REQUEST_BODY_INCOMPLETE', 'request body was cut off');
  }
  return Buffer.concat(chunks);
}
