import { expect } from 'vitest';
import { TlogError, type TlogErrorCode } from '../errors.js';

/** Runs fn and asserts it throws a TlogError whose code is `code` (or one of `code`). Never checks text. */
export function expectTlogError(fn: () => unknown, code: TlogErrorCode | readonly TlogErrorCode[]): TlogError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(TlogError);
  const e = thrown as TlogError;
  if (typeof code === 'string') expect(e.code).toBe(code);
  else expect(code).toContain(e.code);
  return e;
}
