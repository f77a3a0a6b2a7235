import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ArtifactSigner, type FoundAttestation, type FoundSignature, foundAttestationSchema, foundSignatureSchema } from '../../core/index.js';
import { realdata } from '../../core/testing/index.js';
import { ImagePolicyError } from './errors.js';
import { loadCel } from './cel.js';
import { buildPolicySet } from './loader.js';

// buildPolicySet compiles CEL conditions with the library loadPolicies loads first.
beforeAll(loadCel);

const rd = realdata();
const KEYS = join(rd.dir, 'sigstore/conformance/bundle-verify');
const ALLOWED_PEM = join(KEYS, 'managed-key-happy-path/key.pub');
const OTHER_PEM = join(rd.dir, 'ct/ct-go-testdata/ct-server-key-public.pem'); // another real P-256 key
/** keyId as a signer carries it, derived independently of the loader: SHA-256 of the PEM body (the SPKI DER). */
const keyIdOf = (file: string) =>
  createHash('sha256')
    .update(
      Buffer.from(
        readFileSync(file, 'utf8')
          .replace(/-----[^-]+-----/g, '')
          .replace(/\s+/g, ''),
        'base64',
      ),
    )
    .digest('hex');
const IMAGE = 'registry.example.com/team/app@sha256:' + 'ab'.repeat(32);
const D = (n: number) => `sha256:${String(n).padStart(2, '0').repeat(32)}`;

const keySigner = (file: string): ArtifactSigner => ({ kind: 'publicKey', keyId: keyIdOf(file), extensions: {} });
const ghSigner: ArtifactSigner = {
  kind: 'certificate',
  san: 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0',
  issuer: 'https://token.actions.githubusercontent.com',
  extensions: {},
};
const sig = (signer: ArtifactSigner | undefined, ref: string, verified = true): FoundSignature =>
  foundSignatureSchema.parse({ format: 'sigstore-bundle', foundBy: 'referrers', ref, verified, ...(signer ? { signer } : {}) });
const att = (signer: ArtifactSigner, predicateType: string, predicate: unknown, ref = D(9), summary: Record<string, unknown> = {}): FoundAttestation =>
  foundAttestationSchema.parse({
    format: 'sigstore-bundle',
    foundBy: 'referrers',
    ref,
    verified: true,
    signer,
    predicateType,
    subjectMatches: true,
    predicateSha256: 'cd'.repeat(32),
    predicateBytes: JSON.stringify(predicate ?? {}).length,
    ...(predicate !== undefined ? { predicate } : {}),
    summary,
  });
const set = (yaml: string, file = '/policies/p.yaml') => buildPolicySet([{ file, text: yaml }]);
const keyPolicy = (mode = 'enforce') =>
  `name: signed\nmode: ${mode}\nimages: ['registry.example.com/team/*']\nauthorities:\n  - name: release\n    key: { path: ${ALLOWED_PEM} }\n`;

describe.skipIf(rd.skip)('image policies over the facts about one digest', () => {
  it('a digest signed by the allowed key passes; its signature and signer are named as the match', () => {
    // One ref holding two signers (a cosign .sig manifest): only the accepted signer is named.
    const r = set(keyPolicy()).evaluate(IMAGE, { signatures: [sig(keySigner(OTHER_PEM), D(1)), sig(keySigner(ALLOWED_PEM), D(1))], attestations: [] });
    expect(r.verdict).toBe('pass');
    expect(r.policies[0]).toMatchObject({
      result: 'pass',
      failures: [],
      authorities: [{ name: 'release', satisfied: true, matched: [D(1)], signers: [keyIdOf(ALLOWED_PEM)] }],
    });
  });

  it('unsigned fails with `unsigned`; an unverified signature counts as none', () => {
    const s = set(keyPolicy());
    for (const signatures of [[], [sig(keySigner(ALLOWED_PEM), D(1), false)]]) {
      const r = s.evaluate(IMAGE, { signatures, attestations: [] });
      expect(r.verdict).toBe('fail');
      expect(r.policies[0]!.failures).toEqual(['unsigned']);
    }
  });

  it('signed by another key fails with `signer_not_allowed`', () => {
    const r = set(keyPolicy()).evaluate(IMAGE, { signatures: [sig(keySigner(OTHER_PEM), D(1))], attestations: [] });
    expect(r.verdict).toBe('fail');
    expect(r.policies[0]!.failures).toEqual(['signer_not_allowed']);
    expect(r.policies[0]!.authorities[0]!.satisfied).toBe(false);
  });

  it('an image outside the globs is not_applicable and the verdict is no_policy; * stays in one segment, ** crosses', () => {
    const s = set(keyPolicy());
    expect(s.evaluate('registry.example.com/other/app', { signatures: [], attestations: [] })).toMatchObject({
      verdict: 'no_policy',
      policies: [{ result: 'not_applicable' }],
    });
    expect(s.evaluate('registry.example.com/team/sub/app', { signatures: [], attestations: [] }).verdict).toBe('no_policy');
    const deep = set(keyPolicy().replace("team/*'", "team/**'"));
    expect(deep.evaluate({ registry: 'registry.example.com', repository: 'team/sub/app' }, { signatures: [], attestations: [] }).verdict).toBe('fail');
  });

  it('warn mode reports the failure but does not fail the verdict', () => {
    const r = set(keyPolicy('warn')).evaluate(IMAGE, { signatures: [], attestations: [] });
    expect(r.verdict).toBe('pass');
    expect(r.policies[0]).toMatchObject({ mode: 'warn', result: 'fail', failures: ['unsigned'] });
  });

  it('keyless identities: exact issuer and anchored subject regex', () => {
    const s = set(
      `name: ci\nimages: ['registry.example.com/**']\nauthorities:\n  - name: gha\n    keyless:\n      issuer: https://token.actions.githubusercontent.com\n      subjectRegExp: 'https://github\\.com/acme/.+/\\.github/workflows/release\\.yml@refs/tags/v.*'\n`,
    );
    expect(s.evaluate(IMAGE, { signatures: [sig(ghSigner, D(1))], attestations: [] }).verdict).toBe('pass');
    const other = { ...ghSigner, san: 'https://github.com/evil/app/.github/workflows/release.yml@refs/tags/v1' };
    expect(s.evaluate(IMAGE, { signatures: [sig(other, D(1))], attestations: [] }).policies[0]!.failures).toEqual(['signer_not_allowed']);
  });

  describe('SBOM licence deny-list over a real CycloneDX SBOM (Laravel 7.12.0: MIT and BSD-3-Clause components)', () => {
    const bom: unknown = JSON.parse(readFileSync(join(rd.dir, 'sbom/cyclonedx/bom-examples/laravel-7.12.0.bom.1.4.json'), 'utf8'));
    const policy = (denied: string) =>
      set(
        `name: licences\nimages: ['registry.example.com/**']\nauthorities:\n  - name: ci\n    key: { path: ${ALLOWED_PEM} }\n    attestations:\n      - predicateType: https://cyclonedx.org/bom\n        condition: "!predicate.components.exists(c, has(c.licenses) && c.licenses.exists(l, has(l.license.id) && l.license.id in ['${denied}']))"\n`,
      );
    const facts = (predicate: unknown) => ({ signatures: [], attestations: [att(keySigner(ALLOWED_PEM), 'https://cyclonedx.org/bom', predicate)] });

    it('a denied licence present fails the condition', () => {
      const r = policy('BSD-3-Clause').evaluate(IMAGE, facts(bom));
      expect(r.verdict).toBe('fail');
      expect(r.policies[0]!.failures).toEqual(['condition_failed']);
      expect(r.policies[0]!.conditions[0]!.result).toBe('fail');
    });
    it('no denied licence present passes', () => {
      const r = policy('GPL-3.0-only').evaluate(IMAGE, facts(bom));
      expect(r.policies[0]).toMatchObject({ result: 'pass', conditions: [{ result: 'pass' }], authorities: [{ satisfied: true, matched: [D(9)] }] });
    });
    it('a predicate not carried inline makes the condition `missing`', () => {
      const r = policy('GPL-3.0-only').evaluate(IMAGE, facts(undefined));
      expect(r.policies[0]!.conditions[0]!.result).toBe('missing');
      expect(r.verdict).toBe('fail');
    });
    it('without the attestation: attestation_missing', () => {
      const r = policy('GPL-3.0-only').evaluate(IMAGE, { signatures: [sig(keySigner(ALLOWED_PEM), D(1))], attestations: [] });
      expect(r.policies[0]!.failures).toEqual(['attestation_missing']);
    });
  });

  it('a condition over `summary` only runs without an inline predicate', () => {
    const s = set(
      `name: vulns\nimages: ['registry.example.com/**']\nattestations:\n  - predicateType: https://cosign.sigstore.dev/attestation/vuln/v1\n    condition: summary.critical == 0\n`,
    );
    const a = (critical: number) => att(ghSigner, 'https://cosign.sigstore.dev/attestation/vuln/v1', undefined, D(9), { critical });
    expect(s.evaluate(IMAGE, { signatures: [], attestations: [a(0)] }).verdict).toBe('pass');
    expect(s.evaluate(IMAGE, { signatures: [], attestations: [a(2)] }).policies[0]!.failures).toEqual(['condition_failed']);
  });

  it('a 2-of-3 threshold passes with two authorities and fails with one', () => {
    const k = (name: string, file: string) => `  - name: ${name}\n    key: { path: ${file} }\n`;
    const s = set(
      `name: quorum\nimages: ['registry.example.com/**']\nthreshold: 2\nauthorities:\n${k('a', ALLOWED_PEM)}${k('b', OTHER_PEM)}  - name: c\n    keyless: { issuer: https://token.actions.githubusercontent.com, subjectRegExp: 'https://github\\.com/acme/.*' }\n`,
    );
    const two = s.evaluate(IMAGE, { signatures: [sig(keySigner(ALLOWED_PEM), D(1)), sig(ghSigner, D(2))], attestations: [] });
    expect(two.policies[0]).toMatchObject({ result: 'pass', threshold: { required: 2, satisfied: 2 }, failures: [] });
    const one = s.evaluate(IMAGE, { signatures: [sig(keySigner(OTHER_PEM), D(1))], attestations: [] });
    expect(one.policies[0]).toMatchObject({ result: 'fail', threshold: { required: 2, satisfied: 1 } });
    // The signer present IS allowed (authority b): what is missing is the quorum, not a permitted signer.
    expect(one.policies[0]!.failures).toEqual(['threshold_not_met']);
    const none = set(
      `name: quorum\nimages: ['registry.example.com/**']\nthreshold: 2\nauthorities:\n${k('a', ALLOWED_PEM)}  - name: c\n    keyless: { issuer: https://token.actions.githubusercontent.com, subjectRegExp: 'https://github\\.com/acme/.*' }\n`,
    ).evaluate(IMAGE, { signatures: [sig(keySigner(OTHER_PEM), D(1))], attestations: [] });
    expect([...none.policies[0]!.failures].sort()).toEqual(['signer_not_allowed', 'threshold_not_met']);
  });

  it('stages: production requires staging to have passed on the same digest', () => {
    const s = set(
      `name: staging\nimages: ['registry.example.com/staging/**']\nauthorities:\n  - name: qa\n    key: { path: ${OTHER_PEM} }\n---\nname: production\nimages: ['registry.example.com/team/**']\nrequires: [staging]\nauthorities:\n  - name: release\n    key: { path: ${ALLOWED_PEM} }\n`,
    );
    const released = sig(keySigner(ALLOWED_PEM), D(1));
    const without = s.evaluate(IMAGE, { signatures: [released], attestations: [] });
    expect(without.verdict).toBe('fail');
    expect(without.policies.find((p) => p.policy === 'production')!.failures).toEqual(['stage_missing']);
    expect(without.policies.find((p) => p.policy === 'staging')!.result).toBe('not_applicable');
    const withStage = s.evaluate(IMAGE, { signatures: [released, sig(keySigner(OTHER_PEM), D(2))], attestations: [] });
    expect(withStage.verdict).toBe('pass');
  });

  it('static authorities answer without looking at signatures', () => {
    const s = (v: string) => set(`name: s\nimages: ['registry.example.com/**']\nauthorities:\n  - name: always\n    static: ${v}\n`);
    expect(s('pass').evaluate(IMAGE, { signatures: [], attestations: [] }).verdict).toBe('pass');
    expect(s('fail').evaluate(IMAGE, { signatures: [], attestations: [] }).verdict).toBe('fail');
  });
});

describe('policy load errors carry file, line, column and YAML path', () => {
  const fails = (yaml: string, file = '/p/x.yaml') => {
    try {
      buildPolicySet([{ file, text: yaml }]);
    } catch (err) {
      expect(err).toBeInstanceOf(ImagePolicyError);
      return err as ImagePolicyError;
    }
    throw new Error('expected the policy to be refused');
  };

  it('YAML syntax', () => {
    const e = fails('name: a\nimages: [x\n');
    expect(e.code).toBe('POLICY_YAML_SYNTAX');
    expect(e.issues[0]).toMatchObject({ file: '/p/x.yaml', line: expect.any(Number) });
  });
  it('schema: unknown key and bad mode at their lines', () => {
    const e = fails('name: a\nimages: [x]\nmode: loud\nauthorities:\n  - name: s\n    static: pass\n    colour: red\n');
    expect(e.code).toBe('POLICY_INVALID');
    expect(e.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'mode', line: 3 }), expect.objectContaining({ path: 'authorities.0.colour', line: 7 })]),
    );
  });
  it('CEL syntax errors at the expression location', () => {
    const e = fails("name: a\nimages: [x]\nattestations:\n  - predicateType: t\n    condition: 'predicate.x =='\n");
    expect(e.code).toBe('POLICY_BAD_CONDITION');
    expect(e.issues[0]).toMatchObject({ path: 'attestations.0.condition', line: 5 });
  });
  it('bad regex, unreadable key, unknown stage, cycle, duplicate name', () => {
    expect(fails("name: a\nimages: [x]\nauthorities:\n  - name: k\n    keyless: { issuer: i, subjectRegExp: '(' }\n").code).toBe('POLICY_BAD_PATTERN');
    expect(fails('name: a\nimages: [x]\nauthorities:\n  - name: k\n    key: { path: /nonexistent/key.pub }\n').issues[0]).toMatchObject({
      path: 'authorities.0.key.path',
      line: 5,
    });
    const unknown = fails('name: a\nimages: [x]\nrequires: [b]\nauthorities: [{ name: s, static: pass }]\n');
    expect(unknown.code).toBe('POLICY_UNKNOWN_STAGE');
    expect(unknown.issues[0]).toMatchObject({ path: 'requires.0', line: 3 });
    const cyc =
      'name: a\nimages: [x]\nrequires: [b]\nauthorities: [{ name: s, static: pass }]\n---\nname: b\nimages: [x]\nrequires: [a]\nauthorities: [{ name: s, static: pass }]\n';
    expect(fails(cyc).code).toBe('POLICY_STAGE_CYCLE');
    const dup = fails('name: a\nimages: [x]\nauthorities: [{ name: s, static: pass }]\n---\nname: a\nimages: [y]\nauthorities: [{ name: s, static: pass }]\n');
    expect(dup.code).toBe('POLICY_DUPLICATE_NAME');
    expect(dup.issues[0]).toMatchObject({ path: '#1.name', line: 5 });
  });
});

describe('the example policies (rules/examples/images)', () => {
  it('load, and production requires staging: one manager, no staging signature fails with stage_missing', async () => {
    const { loadPolicies } = await import('./loader.js');
    const s = await loadPolicies(join(import.meta.dirname, '..', 'examples', 'images'));
    expect(s.policies.map((p) => p.name).sort()).toEqual(['internal-mirror', 'production', 'staging', 'third-party-base-images']);
    // alice's keyId in the example is the conformance managed key's; one manager of the 2-of-3.
    const r = s.evaluate('registry.example.com/team/app', { signatures: [sig(keySigner(ALLOWED_PEM), D(1))], attestations: [] });
    const prod = r.policies.find((p) => p.policy === 'production')!;
    expect(prod.result).toBe('fail');
    expect(prod.failures).toEqual(expect.arrayContaining(['stage_missing', 'threshold_not_met', 'attestation_missing']));
    expect(s.evaluate('mirror.example.com/base/debian', { signatures: [], attestations: [] }).verdict).toBe('pass');
  });
});
