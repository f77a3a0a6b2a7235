import { describe, expect, it } from 'vitest';
import { BusError, ConfigError, HttpError } from '../errors.js';

const busStopped = (): never => {
  throw new BusError('BUS_STOPPED', 'stopped');
};
const configInvalid = (): never => {
  throw new ConfigError('CONFIG_INVALID', 'bad', [{ path: 'a.b', message: 'no' }]);
};
/** Runs an assertion and returns the failure it raised (the matcher's own report). */
function failureOf(assertion: () => unknown): Error {
  try {
    assertion();
  } catch (e) {
    return e as Error;
  }
  return expect.unreachable('the assertion passed');
}
async function asyncFailureOf(assertion: () => Promise<unknown>): Promise<Error> {
  try {
    await assertion();
  } catch (e) {
    return e as Error;
  }
  return expect.unreachable('the assertion passed');
}

describe('toThrowWithCode (sync)', () => {
  it('passes for the right class and code', () => {
    expect(busStopped).toThrowWithCode(BusError, 'BUS_STOPPED');
  });

  it('passes for one of several codes', () => {
    expect(busStopped).toThrowWithCode(BusError, ['BUS_UNAVAILABLE', 'BUS_STOPPED']);
  });

  it('fails for another class, even with the same code', () => {
    const imposter = (): never => {
      throw Object.assign(new Error('x'), { code: 'BUS_STOPPED' });
    };
    const f = failureOf(() => expect(imposter).toThrowWithCode(BusError, 'BUS_STOPPED'));
    expect(f.message).toMatch(/expected the function to throw BusError with code BUS_STOPPED, but got Error with code BUS_STOPPED/);
    expect(failureOf(() => expect(configInvalid).toThrowWithCode(HttpError, 'HTTP_TIMEOUT')).message).toMatch(/but got ConfigError/);
  });

  it('fails for the right class with another code', () => {
    const f = failureOf(() => expect(busStopped).toThrowWithCode(BusError, 'BUS_UNAVAILABLE'));
    expect(f.message).toMatch(/BusError with code BUS_UNAVAILABLE, but got BusError with code BUS_STOPPED/);
    expect(() => expect(busStopped).toThrowWithCode(BusError, ['BUS_UNAVAILABLE', 'BUS_NOT_STARTED'])).toThrow();
  });

  it('fails when nothing is thrown', () => {
    const f = failureOf(() => expect(() => 42).toThrowWithCode(BusError, 'BUS_STOPPED'));
    expect(f.message).toMatch(/but it did not throw/);
  });

  it('fails when a non-Error is thrown', () => {
    const throwsString = (): never => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test
      throw 'BUS_STOPPED';
    };
    expect(failureOf(() => expect(throwsString).toThrowWithCode(BusError, 'BUS_STOPPED')).message).toMatch(/a non-Error value/);
  });

  it('fails (and says why) when the function returns a promise instead of throwing', async () => {
    const asyncThrower = async (): Promise<never> => busStopped();
    const f = failureOf(() => expect(asyncThrower).toThrowWithCode(BusError, 'BUS_STOPPED'));
    expect(f.message).toMatch(/returned a promise.*rejects\.toThrowWithCode/);
    await new Promise((r) => setTimeout(r, 0)); // the swallowed rejection stays swallowed
  });

  it('matches extra fields as a subset, like toMatchObject', () => {
    expect(configInvalid).toThrowWithCode(ConfigError, 'CONFIG_INVALID', { issues: [{ path: 'a.b' }] });
    expect(configInvalid).toThrowWithCode(ConfigError, 'CONFIG_INVALID', { retriable: false });
    const f = failureOf(() => expect(configInvalid).toThrowWithCode(ConfigError, 'CONFIG_INVALID', { issues: [{ path: 'a.c' }] }));
    expect(f.message).toMatch(/whose fields differ/);
    expect(() => expect(configInvalid).toThrowWithCode(ConfigError, 'CONFIG_INVALID', { issues: [] })).toThrow();
  });

  it('negates with .not', () => {
    expect(() => 1).not.toThrowWithCode(BusError, 'BUS_STOPPED');
    expect(busStopped).not.toThrowWithCode(BusError, 'BUS_UNAVAILABLE');
    expect(failureOf(() => expect(busStopped).not.toThrowWithCode(BusError, 'BUS_STOPPED')).message).toMatch(/anything but BusError/);
  });

  it('refuses a non-function without .rejects', () => {
    expect(() => expect(42).toThrowWithCode(BusError, 'BUS_STOPPED')).toThrow(TypeError);
  });

  it('types the code by the class', () => {
    // @ts-expect-error -- not a BusError code: the code union comes from the class
    expect(() => expect(busStopped).toThrowWithCode(BusError, 'CONFIG_INVALID')).toThrow();
  });
});

describe('toThrowWithCode (async, after .rejects)', () => {
  it('passes for a promise rejecting with the right class and code', async () => {
    await expect(Promise.reject(new BusError('BUS_STOPPED', 'stopped'))).rejects.toThrowWithCode(BusError, 'BUS_STOPPED');
    await expect(async () => busStopped()).rejects.toThrowWithCode(BusError, 'BUS_STOPPED');
  });

  it('fails for another class or code', async () => {
    const wrongClass = await asyncFailureOf(() => expect(Promise.reject(new HttpError('HTTP_TIMEOUT', 't'))).rejects.toThrowWithCode(BusError, 'BUS_STOPPED'));
    expect(wrongClass.message).toMatch(/the promise to reject with BusError with code BUS_STOPPED, but got HttpError with code HTTP_TIMEOUT/);
    const wrongCode = await asyncFailureOf(() => expect(Promise.reject(new BusError('BUS_UNAVAILABLE', 'u'))).rejects.toThrowWithCode(BusError, 'BUS_STOPPED'));
    expect(wrongCode.message).toMatch(/but got BusError with code BUS_UNAVAILABLE/);
  });

  it('fails when the promise resolves', async () => {
    await expect(asyncFailureOf(() => expect(Promise.resolve(1)).rejects.toThrowWithCode(BusError, 'BUS_STOPPED'))).resolves.toBeInstanceOf(Error);
  });
});
