/**
 * The `toThrowWithCode(Class, code)` matcher: asserts class + code of a thrown ChainwatchError, the
 * way the developers' guide asks tests to (never the message text). Registered for every test by
 * core/testing/vitest-setup.ts (vitest.config.ts setupFiles).
 *
 *   expect(() => parseNote(text)).toThrowWithCode(TlogError, 'NOTE_MALFORMED');
 *   await expect(bus.publish(e)).rejects.toThrowWithCode(BusError, 'BUS_STOPPED');
 *   expect(() => f()).toThrowWithCode(ConfigError, 'CONFIG_INVALID', { issues: [{ path: 'a.b' }] });
 *
 * `code` may be a list when a case may legitimately end in one of several codes. The optional
 * third argument is matched like toMatchObject (a subset of the error's own fields).
 */
import type { MatcherState } from 'vitest';
import type { ChainwatchError } from '../errors.js';

/** Any ChainwatchError subclass; its code union types the `code` argument. */
export type ErrorClass<Code extends string = string> = abstract new (...args: never[]) => ChainwatchError<Code>;

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- must match vitest's declaration to merge
  interface Matchers<T = any> {
    /**
     * The function throws (or, after `.rejects`, the promise rejects with) an instance of `cls`
     * whose `code` is `code` (or one of `code`) and whose fields include `fields`, if given.
     */
    toThrowWithCode: <Code extends string>(cls: ErrorClass<Code>, code: NoInfer<Code> | readonly NoInfer<Code>[], fields?: Record<string, unknown>) => void;
  }
}

type Outcome = { threw: true; error: unknown } | { threw: false; returned: unknown };

export function toThrowWithCode(
  this: MatcherState,
  received: unknown,
  cls: ErrorClass,
  code: string | readonly string[],
  fields?: Record<string, unknown>,
): { pass: boolean; message: () => string; actual?: unknown; expected?: unknown } {
  if (typeof cls !== 'function') throw new TypeError('toThrowWithCode: the first argument must be an error class');
  const codes: readonly string[] = typeof code === 'string' ? [code] : code;
  const want = `${cls.name} with code ${codes.join(' | ')}${fields ? ' and the given fields (see the diff)' : ''}`;
  const outcome = this.promise === 'rejects' ? { threw: true as const, error: received } : run(received);

  if (!outcome.threw) {
    const returned = outcome.returned;
    const returnedPromise = isThenable(returned);
    // A sync call that hands back a promise would make the matcher look at the wrong thing.
    if (returnedPromise) returned.then(undefined, () => undefined);
    return {
      pass: false,
      message: () =>
        returnedPromise
          ? `expected the function to throw ${want}, but it returned a promise (use: await expect(promise).rejects.toThrowWithCode(...))`
          : `expected the function to throw ${want}, but it did not throw`,
    };
  }

  const err = outcome.error;
  const isClass = err instanceof cls;
  const gotCode = isClass ? err.code : undefined;
  const codeOk = gotCode !== undefined && codes.includes(gotCode);
  const fieldsOk = !fields || this.equals(err, fields, [...this.customTesters, this.utils.iterableEquality, this.utils.subsetEquality]);
  const pass = isClass && codeOk && fieldsOk;
  const what = this.promise === 'rejects' ? 'the promise to reject with' : 'the function to throw';
  return {
    pass,
    message: () =>
      pass
        ? `expected ${what} anything but ${want}, but got ${describe(err)}`
        : `expected ${what} ${want}, but got ${describe(err)}${isClass && codeOk && !fieldsOk ? ' whose fields differ' : ''}`,
    actual: isClass ? { class: cls.name, code: gotCode, ...(fields ? pick(err, fields) : {}) } : describe(err),
    expected: { class: cls.name, code: codes.length === 1 ? codes[0] : codes, ...(fields ?? {}) },
  };
}

function run(fn: unknown): Outcome {
  if (typeof fn !== 'function') throw new TypeError('toThrowWithCode: expect() needs a function (or a promise with .rejects)');
  try {
    return { threw: false, returned: (fn as () => unknown)() };
  } catch (error) {
    return { threw: true, error };
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Class, code and message of what was thrown: for the failure report only, never asserted on. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.constructor.name}${typeof code === 'string' ? ` with code ${code}` : ''} (${err.message})`;
  }
  return `a non-Error value: ${String(err)}`;
}

function pick(err: object, fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(fields).map((k) => [k, (err as Record<string, unknown>)[k]]));
}
