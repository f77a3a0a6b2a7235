import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shared real test data (origin, licence and expected verdicts in its MANIFEST.md), read in
 * place and never copied into the repository: ../shared/realdata beside the clone, or
 * $CHAINWATCH_REALDATA. Call realdata() where a suite is defined and pass `skip` to
 * describe.skipIf(...). When the folder is missing, a developer machine skips the suite with a
 * message naming the path; under CI (CI=true) realdata() throws, so the suite's file FAILS with
 * that message instead of passing silently without its data.
 */
export const REALDATA = resolve(process.env.CHAINWATCH_REALDATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'realdata'));

export function realdata(): { dir: string; skip: boolean; reason: string } {
  const manifest = join(REALDATA, 'MANIFEST.md');
  if (existsSync(manifest)) return { dir: REALDATA, skip: false, reason: '' };
  const reason = `real test data not found: ${manifest} is missing (put the shared realdata folder at ../shared/realdata beside the repository, or set CHAINWATCH_REALDATA)`;
  if (process.env.CI === 'true') throw new Error(`CI requires the real test data: ${reason}`);
  console.warn(`SKIP: ${reason}`);
  return { dir: REALDATA, skip: true, reason };
}
