import { expect } from 'vitest';

/**
 * Checks that an error never carries a secret (the guide: secrets never reach logs, errors, events
 * or metrics). Pair with toThrowWithCode, which checks class + code:
 *
 *   const delivery = sink.deliver(n, openSignal());
 *   await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
 *   assertNoSecrets(await rejectionOf(delivery), [token]);
 */

/** What `p` rejects with; the test fails if it resolves. */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return expect.unreachable('expected the promise to reject');
}

/** Walks the error and its causes: no secret in any message, stack or own string property. */
export function assertNoSecrets(err: unknown, secrets: readonly string[]): void {
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    const texts: string[] = [];
    if (e instanceof Error) {
      texts.push(e.message, e.stack ?? '');
      for (const v of Object.values(e)) if (typeof v === 'string') texts.push(v);
    } else texts.push(JSON.stringify(e) ?? '');
    for (const s of secrets) {
      for (const t of texts) expect(t.includes(s), `secret leaked into an error at depth ${depth}`).toBe(false);
    }
    e = e instanceof Error ? e.cause : undefined;
  }
}
