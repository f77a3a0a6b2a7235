import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyBundleCommand } from '../trust/index.js';
import { realdata } from './helpers/services.js';

/**
 * sigstore-conformance bundle-verify cases (realdata sigstore/conformance/bundle-verify, see its
 * README): a case passes when verify-bundle exits 0, and `_fail` cases must exit non-zero. Each
 * case is run with the arguments the conformance harness passes: --bundle, --key key.pub or
 * --certificate-identity/--certificate-oidc-issuer (files `identity`/`issuer`, else the
 * beacon-workflow defaults), --trusted-root (the case's own, else the production root per
 * MANIFEST.md), and the artifact (`artifact`, else ../a.txt) — once as a path, once as sha256:<hex>.
 */
const rd = realdata();
const BASE = join(rd.dir, 'sigstore', 'conformance', 'bundle-verify');
const PROD_ROOT = join(rd.dir, 'sigstore', 'trusted-roots', 'prod', 'trusted_root.json');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';
const EXPECTED_CASES = 70;

const cases = rd.skip
  ? []
  : readdirSync(BASE)
      .filter((n) => statSync(join(BASE, n)).isDirectory())
      .sort();

function harnessArgs(name: string, artifactMode: 'file' | 'digest'): string[] {
  const dir = join(BASE, name);
  const file = (f: string): string | undefined => (existsSync(join(dir, f)) ? join(dir, f) : undefined);
  const text = (f: string): string | undefined => {
    const p = file(f);
    return p ? readFileSync(p, 'utf8').trim() : undefined;
  };
  const artifact = file('artifact') ?? join(BASE, 'a.txt');
  const key = file('key.pub');
  return [
    '--bundle',
    join(dir, 'bundle.sigstore.json'),
    ...(key ? ['--key', key] : ['--certificate-identity', text('identity') ?? DEFAULT_IDENTITY, '--certificate-oidc-issuer', text('issuer') ?? DEFAULT_ISSUER]),
    '--trusted-root',
    file('trusted_root.json') ?? PROD_ROOT,
    artifactMode === 'file' ? artifact : `sha256:${createHash('sha256').update(readFileSync(artifact)).digest('hex')}`,
  ];
}

async function runCase(name: string, mode: 'file' | 'digest'): Promise<{ ok: boolean; detail: string }> {
  let stderr = '';
  const code = await verifyBundleCommand(harnessArgs(name, mode), {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    tuf: false,
  });
  const expectFail = name.endsWith('_fail');
  const ok = expectFail ? code !== 0 : code === 0;
  return { ok, detail: `exit ${code}${stderr ? `: ${stderr.trim()}` : ''}` };
}

for (const mode of ['file', 'digest'] as const) {
  describe.skipIf(rd.skip)(`sigstore conformance bundle-verify (${mode})`, () => {
    const results = new Map<string, { ok: boolean; detail: string }>();

    afterAll(() => {
      const failed = [...results].filter(([, r]) => !r.ok);
      console.log(`sigstore conformance (${mode}): ${results.size - failed.length}/${results.size} cases reached the expected verdict`);
      for (const [name, r] of failed) console.log(`  MISMATCH ${name}: ${r.detail}`);
    });

    it('finds every case directory', () => {
      expect(cases).toHaveLength(EXPECTED_CASES);
    });

    it.each(cases)('%s', async (name) => {
      const result = await runCase(name, mode);
      results.set(name, result);
      expect(result.ok, `${name} (${name.endsWith('_fail') ? 'must fail' : 'must pass'}) ${result.detail}`).toBe(true);
    });

    it(`reaches the expected verdict in ${EXPECTED_CASES}/${EXPECTED_CASES} cases`, () => {
      expect([...results.values()].filter((r) => r.ok)).toHaveLength(EXPECTED_CASES);
    });
  });
}
