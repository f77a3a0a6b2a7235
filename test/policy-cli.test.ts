/** `chainwatch policy test|check` as users run them (child processes), over real Sigstore bundles. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { built, runCli } from './helpers/daemon-process.js';
import { realdata } from './helpers/services.js';

const rd = realdata();
const CONF = join(rd.dir, 'sigstore/conformance/bundle-verify');
const ROOT = join(rd.dir, 'sigstore/trusted-roots/prod/trusted_root.json'); // production root snapshot: offline, no TUF
const KEY = join(CONF, 'managed-key-happy-path/key.pub');
const KEY_BUNDLE = join(CONF, 'managed-key-happy-path/bundle.sigstore.json'); // managed key, signs a.txt
const KEYLESS_BUNDLE = join(CONF, 'happy-path-v0.3/bundle.sigstore.json'); // keyless (conformance beacon), signs a.txt
const SLSA_BUNDLE = join(rd.dir, 'slsa/slsa-verifier/bundle/valid-v0.3.intoto.sigstore'); // DSSE, SLSA v0.2 provenance of "hello"
const SLSA_DIGEST = 'sha256:2892146b063a94cb4a4318c0e98d38af12dcf2b1e29237486b58463b59607bbd'; // that statement's subject
const aTxt = () =>
  `sha256:${createHash('sha256')
    .update(readFileSync(join(rd.dir, 'sigstore/conformance/a.txt')))
    .digest('hex')}`;

const dir = mkdtempSync(join(tmpdir(), 'cw-policy-cli-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const keyPolicy = () =>
  write('key.yaml', `name: signed\nimages: ['registry.example.com/team/*']\nauthorities:\n  - name: release\n    key: { path: ${KEY} }\n`);
const slsaPolicy = (builderPrefix: string) =>
  write(
    'slsa.yaml',
    `name: provenance
images: ['registry.example.com/**']
authorities:
  - name: generator
    keyless:
      issuer: https://token.actions.githubusercontent.com
      subjectRegExp: 'https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/.*'
    attestations:
      - predicateType: https://slsa.dev/provenance/v0.2
        condition: predicate.builder.id.startsWith('${builderPrefix}')
`,
  );
const test = async (policy: string, image: string, ...extra: string[]) => {
  const r = await runCli(['policy', 'test', policy, '--image', image, '--trusted-root', ROOT, '--json', ...extra]);
  return {
    code: r.code,
    out:
      r.code === 2
        ? undefined
        : (JSON.parse(r.stdout) as { verdict: string; policies: { result: string; failures: string[]; conditions: { result: string }[] }[] }),
    r,
  };
};

describe.skipIf(!built() || rd.skip)('chainwatch policy test/check over real bundles', () => {
  it('a digest signed by the allowed key passes (exit 0) and the text names the matching signature', async () => {
    const { code, out } = await test(keyPolicy(), `registry.example.com/team/app@${aTxt()}`, '--bundle', KEY_BUNDLE, '--key', KEY);
    expect(code).toBe(0);
    expect(out!.verdict).toBe('pass');
    const text = await runCli([
      'policy',
      'test',
      keyPolicy(),
      '--image',
      `registry.example.com/team/app@${aTxt()}`,
      '--trusted-root',
      ROOT,
      '--bundle',
      KEY_BUNDLE,
      '--key',
      KEY,
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/authority release: satisfied/);
  });

  it('unsigned fails with `unsigned` (exit 1); a bundle over another digest does not verify and counts as none', async () => {
    const none = await test(keyPolicy(), `registry.example.com/team/app@sha256:${'0'.repeat(64)}`);
    expect(none.code).toBe(1);
    expect(none.out!.policies[0]!.failures).toEqual(['unsigned']);
    const other = await test(keyPolicy(), `registry.example.com/team/app@sha256:${'0'.repeat(64)}`, '--bundle', KEY_BUNDLE, '--key', KEY);
    expect(other.code).toBe(1);
    expect(other.out!.policies[0]!.failures).toEqual(['unsigned']);
  });

  it('signed by someone else (a keyless signature) fails with `signer_not_allowed`', async () => {
    const { code, out } = await test(keyPolicy(), `registry.example.com/team/app@${aTxt()}`, '--bundle', KEYLESS_BUNDLE);
    expect(code).toBe(1);
    expect(out!.policies[0]!.failures).toEqual(['signer_not_allowed']);
  });

  it('a DSSE SLSA provenance attestation: builder condition true passes, false fails with condition_failed', async () => {
    const image = `registry.example.com/team/hello@${SLSA_DIGEST}`;
    const ok = await test(slsaPolicy('https://github.com/slsa-framework/slsa-github-generator/'), image, '--bundle', SLSA_BUNDLE);
    expect(ok.code).toBe(0);
    expect(ok.out!.policies[0]!.conditions[0]!.result).toBe('pass');
    const bad = await test(slsaPolicy('https://cloudbuild.googleapis.com/'), image, '--bundle', SLSA_BUNDLE);
    expect(bad.code).toBe(1);
    expect(bad.out!.policies[0]).toMatchObject({ failures: ['condition_failed'], conditions: [{ result: 'fail' }] });
    const text = await runCli([
      'policy',
      'test',
      slsaPolicy('https://cloudbuild.googleapis.com/'),
      '--image',
      image,
      '--trusted-root',
      ROOT,
      '--bundle',
      SLSA_BUNDLE,
    ]);
    expect(text.stdout).toMatch(/condition on https:\/\/slsa\.dev\/provenance\/v0\.2 .*: fail/);
  });

  it('bad input exits 2: an image without digest, a broken policy (file:line:col), a missing bundle', async () => {
    expect((await runCli(['policy', 'test', keyPolicy(), '--image', 'registry.example.com/team/app:latest'])).code).toBe(2);
    const broken = write('broken.yaml', 'name: b\nimages: [x]\nauthorities:\n  - name: k\n    keyless: { issuer: i, subjectRegExp: "(" }\n');
    const r = await runCli(['policy', 'test', broken, '--image', `registry.example.com/team/app@${aTxt()}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${broken}:5:`);
    expect((await runCli(['policy', 'test', keyPolicy(), '--image', `registry.example.com/team/app@${aTxt()}`, '--bundle', join(dir, 'nope.json')])).code).toBe(
      2,
    );
  });

  it('policy check: 0 for valid files, 2 with file:line:col reasons for a broken one', async () => {
    const good = mkdtempSync(join(tmpdir(), 'cw-policy-check-'));
    writeFileSync(join(good, 'a.yaml'), readFileSync(keyPolicy()));
    const ok = await runCli(['policy', 'check', good]);
    expect(ok.code).toBe(0);
    writeFileSync(join(good, 'b.yaml'), "name: b\nimages: [x]\nattestations:\n  - predicateType: t\n    condition: 'predicate.x =='\n");
    const bad = await runCli(['policy', 'check', good]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${join(good, 'b.yaml')}:5:`);
    expect(bad.stderr).toContain('POLICY_BAD_CONDITION');
  });
});
