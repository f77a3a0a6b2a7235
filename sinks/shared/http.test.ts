import { describe, expect, it } from 'vitest';
import { HttpError } from '../../core/index.js';
import { httpRequest } from './http.js';

/** A response whose body stream fails after the status line arrived (connection reset mid-body). */
function resetMidBody(status: number): typeof fetch {
  return async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"ok":'));
      },
      pull(c) {
        c.error(
          new TypeError('terminated', { cause: Object.assign(new Error('other side closed https://hooks.example/T0/SECRET'), { code: 'UND_ERR_SOCKET' }) }),
        );
      },
    });
    return new Response(body, { status });
  };
}

describe('httpRequest', () => {
  it('classifies a connection lost while reading the body as a retriable HttpError without the URL', async () => {
    for (const status of [200, 503]) {
      const request = httpRequest({ url: 'https://hooks.example/T0/SECRET', body: {}, sink: 'soc' }, new AbortController().signal, resetMidBody(status));
      await expect(request).rejects.toThrowWithCode(HttpError, 'HTTP_UNREACHABLE', { retriable: true });
      const err = await request.catch((e: unknown) => e);
      expect(JSON.stringify({ m: (err as Error).message, c: String((err as Error).cause) })).not.toContain('SECRET');
    }
  });
});
