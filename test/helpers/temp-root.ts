/**
 * vitest globalSetup (both projects): one temporary root per test run, removed at the end, so a run
 * leaves no `cw-*` directories behind (it used to leave ~60 in the system temp dir).
 * How tests use it: they keep calling mkdtempSync(join(tmpdir(), 'cw-...')); setting TMPDIR here,
 * before vitest starts its workers, makes os.tmpdir() in every worker, and in every daemon or CLI
 * process a test spawns with process.env, answer this root. CHAINWATCH_TEST_TMP names it too.
 * Set CHAINWATCH_TEST_KEEP_TMP=1 to keep it for a post-mortem (its path is printed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'chainwatch-test-'));
  const saved = { TMPDIR: process.env.TMPDIR, CHAINWATCH_TEST_TMP: process.env.CHAINWATCH_TEST_TMP };
  process.env.TMPDIR = root;
  process.env.CHAINWATCH_TEST_TMP = root;
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (process.env.CHAINWATCH_TEST_KEEP_TMP === '1') console.warn(`test temp root kept: ${root}`);
    else rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
