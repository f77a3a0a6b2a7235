import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * realdata() (core/testing/realdata.ts) in a child vitest run over a fake repository root: a copy
 * of the helper and one suite that needs the data, with ../shared/realdata beside that root missing
 * (or present). Under CI=true the suite's file must fail and name the missing path; elsewhere the
 * suite is skipped with a message naming it; with the data present it runs.
 */
const ROOT = join(import.meta.dirname, '..');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const work = mkdtempSync(join(tmpdir(), 'cw-realdata-guard-'));
const repo = join(work, 'repo');
const manifest = join(work, 'shared', 'realdata', 'MANIFEST.md');

mkdirSync(join(repo, 'core', 'testing'), { recursive: true });
mkdirSync(join(repo, 'test'), { recursive: true });
copyFileSync(join(ROOT, 'core', 'testing', 'realdata.ts'), join(repo, 'core', 'testing', 'realdata.ts'));
writeFileSync(
  join(repo, 'test', 'needs-realdata.test.ts'),
  `import { readdirSync } from 'node:fs';
import { realdata } from '../core/testing/realdata.js';
const rd = realdata();
describe.skipIf(rd.skip)('needs realdata', () => {
  it('reads it', () => expect(readdirSync(rd.dir)).toContain('MANIFEST.md'));
});
`,
);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runChild(ci: boolean): { status: number | null; output: string; passed: number; skipped: number; failedFiles: number } {
  const report = join(work, `report-${ci}.json`);
  rmSync(report, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CHAINWATCH_REALDATA; // the default path, derived from the fake root, is under test
  delete env.CI;
  if (ci) env.CI = 'true';
  const r = spawnSync(process.execPath, [VITEST, 'run', '--root', repo, '--globals', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: repo,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const j = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numPendingTests: number; numFailedTestSuites: number };
  return { status: r.status, output: r.stdout + r.stderr, passed: j.numPassedTests, skipped: j.numPendingTests, failedFiles: j.numFailedTestSuites };
}

describe('realdata() guard', () => {
  it('under CI=true a suite that needs missing realdata fails and names the path', () => {
    const r = runChild(true);
    expect(r.status).toBe(1);
    expect(r.failedFiles).toBe(1);
    expect(r.output).toContain(`CI requires the real test data: real test data not found: ${manifest} is missing`);
  });

  it('elsewhere the suite is skipped with a message naming the path', () => {
    const r = runChild(false);
    expect(r.status).toBe(0);
    expect([r.passed, r.skipped]).toEqual([0, 1]);
    expect(r.output).toContain(`SKIP: real test data not found: ${manifest} is missing`);
  });

  it('with the data present the suite runs, under CI too', () => {
    mkdirSync(join(work, 'shared', 'realdata'), { recursive: true });
    writeFileSync(manifest, '# fake\n');
    const r = runChild(true);
    expect(r.status).toBe(0);
    expect([r.passed, r.skipped]).toEqual([1, 0]);
    rmSync(join(work, 'shared'), { recursive: true });
  });
});
