/**
 * Integration tests talk to real services that scripts/test.sh starts (scripts/services/*.sh) and
 * announces through environment variables. Outside that script a missing service skips the suite
 * with a clear reason; under CI (CI=true) a missing service is a failure, never a silent skip.
 */

export interface ServiceEnv {
  /** The value of the environment variable, or undefined when the service is absent. */
  value: string | undefined;
  /** Pass to describe.skipIf(...). */
  skip: boolean;
  reason: string;
}

export function service(envVar: string, what: string): ServiceEnv {
  const value = process.env[envVar];
  if (value) return { value, skip: false, reason: '' };
  const reason = `${what} not available: ${envVar} is unset (run via scripts/test.sh, which starts it)`;
  if (process.env.CI === 'true') throw new Error(`CI requires ${what}: ${reason}`);
  console.warn(`SKIP: ${reason}`);
  return { value: undefined, skip: true, reason };
}

// realdata() lives with the other test twins (core/testing), so unit tests beside the code can use it.
export { REALDATA, realdata } from '../../core/testing/index.js';
