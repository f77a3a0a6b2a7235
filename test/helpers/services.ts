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

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** ../shared/realdata beside the clone; tests that need it skip with a message when absent. */
export const REALDATA = resolve(process.env.CHAINWATCH_REALDATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'realdata'));
export function realdata(): { dir: string; skip: boolean } {
  const ok = existsSync(join(REALDATA, 'MANIFEST.md'));
  if (!ok) console.warn(`SKIP: real test data not found at ${REALDATA} (clone outside the workplace; set CHAINWATCH_REALDATA)`);
  return { dir: REALDATA, skip: !ok };
}
