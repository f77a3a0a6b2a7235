import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SignerIdentity as Signer } from '../core/index.js';
import { compileIdentityPolicy, parseIdentityPolicy, type Verdict } from '../rules/identity/index.js';
import { signerFromPem } from '../trust/index.js';
import { realdata } from './helpers/services.js';

// Table-driven cases over REAL Fulcio certificates (realdata/x509/fulcio), turned into the
// signers a rekor.entry event carries by trust's own extraction: rules/ and trust/ meet here,
// in test/, because a test beside rules/ may import only core. Each case: a one-watch policy, a
// certificate, what the policy must conclude ('none' = the watch does not concern this signature).
const rd = realdata();
const cert = (f: string): Signer => signerFromPem(readFileSync(join(rd.dir, 'x509/fulcio', f), 'utf8'));

const policy = (watch: string) => compileIdentityPolicy(parseIdentityPolicy(`version: 1\nwatches:\n  - name: w\n${watch.replace(/^/gm, '    ')}`));
const verdict = (watch: string, signer: Signer): Verdict['kind'] | 'none' => {
  const v = policy(watch).evaluate([signer]);
  expect(v.length).toBeLessThanOrEqual(1);
  return v[0]?.kind ?? 'none';
};

const BEACON = 'conformance-happy-path-v0.3.pem'; // sigstore-conformance beacon, refs/heads/main, workflow_dispatch
const SLSA = 'slsa-gha-generic-v2.1.0.pem'; // example-package via slsa-github-generator@refs/tags/v2.1.0
const NES = 'github-private-attestation.pem'; // nes-java-test-lib-a via reusable attest.yml@<sha>, refs/tags/nes-v1.0.12, push
const PY = 'python-3.12.5-release.pem'; // thomas@python.org via accounts.google.com
const DLORENC = 'cosign-spec-fulcio-2021-cert.pem'; // 2021 cert: e-mail SAN, no Fulcio extensions at all

const BEACON_REPO = 'github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon';

describe.skipIf(rd.skip)('identity rules over real Fulcio identities', () => {
  const cases: [string, string, string, Verdict['kind'] | 'none'][] = [
    // -- match (rekor-monitor monitoredValues) --
    ['repository match, no allowlist -> unexpected', BEACON, `match: { repositories: [${BEACON_REPO}] }`, 'unexpected'],
    ['repository glob over the owner', BEACON, `match: { repositories: ['github.com/sigstore-conformance/*'] }`, 'unexpected'],
    ['another repository is not watched', SLSA, `match: { repositories: [${BEACON_REPO}] }`, 'none'],
    ['reusable workflow: watched by SOURCE repository', SLSA, `match: { repositories: [slsa-framework/example-package] }`, 'unexpected'],
    ['certSubject regex (unanchored, as rekor-monitor)', BEACON, `match: { certIdentities: [{ certSubject: 'oidc-beacon\\.yml@' }] }`, 'unexpected'],
    [
      'certSubject + issuer regex',
      PY,
      `match: { certIdentities: [{ certSubject: '^thomas@python\\.org$', issuers: ['^https://accounts\\.google\\.com$'] }] }`,
      'unexpected',
    ],
    ['certSubject with a non-matching issuer', PY, `match: { certIdentities: [{ certSubject: 'thomas@python\\.org', issuers: ['token\\.actions'] }] }`, 'none'],
    ['issuers listed but certificate has none (2021 cert)', DLORENC, `match: { certIdentities: [{ certSubject: dlorenc, issuers: [google] }] }`, 'none'],
    ['certSubject alone matches a cert without issuer', DLORENC, `match: { certIdentities: [{ certSubject: 'dlorenc@google\\.com' }] }`, 'unexpected'],
    ['subjects apply to non-certificate signers only', PY, `match: { subjects: ['thomas@python\\.org'] }`, 'none'],
    [
      'fingerprint (colon form, upper case)',
      DLORENC,
      `match: { fingerprints: ['90:5B:8D:95:64:FF:06:A8:7B:73:7D:28:71:F8:D1:DE:75:D8:C2:17:00:8C:A1:53:9E:0B:6F:A1:00:79:8A:89'] }`,
      'unexpected',
    ],
    [
      'oidMatcher on Build Signer URI',
      SLSA,
      `match: { oidMatchers: [{ oid: 1.3.6.1.4.1.57264.1.9, extensionValues: ['https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0'] }] }`,
      'unexpected',
    ],
    ['oidMatcher values are exact', SLSA, `match: { oidMatchers: [{ oid: 1.3.6.1.4.1.57264.1.9, extensionValues: ['generator_generic_slsa3.yml'] }] }`, 'none'],
    ['fulcioExtensions by name', NES, `match: { fulcioExtensions: { source-repository-visibility-at-signing: [private] } }`, 'unexpected'],
    // -- expected (allowlist) --
    [
      'tag-release allowlist refuses a branch build',
      BEACON,
      `match: { repositories: [${BEACON_REPO}] }\nexpected: [{ name: rel, workflowRefs: ['.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/tags/v*'], refs: ['refs/tags/v*'] }]`,
      'unexpected',
    ],
    [
      'same workflow on main is allowed when listed',
      BEACON,
      `match: { repositories: [${BEACON_REPO}] }\nexpected: [{ name: main, workflowRefs: ['.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'], triggers: [workflow_dispatch], runnerEnvironments: [github-hosted] }]`,
      'expected',
    ],
    [
      'relative workflowRef never matches another repository',
      SLSA,
      `match: { repositories: [slsa-framework/example-package] }\nexpected: [{ name: x, workflowRefs: ['.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0'] }]`,
      'unexpected',
    ],
    [
      'explicit reusable workflowRef at v2.*',
      SLSA,
      `match: { repositories: [slsa-framework/example-package] }\nexpected: [{ name: gen, workflowRefs: ['slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.*'], issuers: [https://token.actions.githubusercontent.com] }]`,
      'expected',
    ],
    [
      'explicit reusable workflowRef as https URL',
      SLSA,
      `match: { repositories: [slsa-framework/example-package] }\nexpected: [{ name: gen, workflowRefs: ['https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0'] }]`,
      'expected',
    ],
    [
      'pinned generator v1 refuses v2.1.0',
      SLSA,
      `match: { repositories: [slsa-framework/example-package] }\nexpected: [{ name: gen, workflowRefs: ['slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.*'] }]`,
      'unexpected',
    ],
    ['wrong trigger refuses', NES, `match: { repositories: ['github.com/neverendingsupport/*'] }\nexpected: [{ name: x, triggers: [release] }]`, 'unexpected'],
    [
      'reusable attest workflow pinned by sha + tag + push + build config',
      NES,
      `match: { repositories: ['github.com/neverendingsupport/nes-java-*'] }\nexpected: [{ name: x, workflowRefs: ['neverendingsupport/slsa-attestations/.github/workflows/attest.yml@9f6d9dc1bfc02986955721eb15f89ad618f1cedb'], refs: ['refs/tags/nes-v*'], triggers: [push], extensions: { build-config-uri: ['https://github.com/neverendingsupport/nes-java-test-lib-a/.github/workflows/nes-release.yml@refs/tags/nes-v*'] } }]`,
      'expected',
    ],
    [
      'extension allowlist by OID refuses private visibility',
      NES,
      `match: { repositories: ['github.com/neverendingsupport/*'] }\nexpected: [{ name: x, extensions: { 1.3.6.1.4.1.57264.1.22: [public] } }]`,
      'unexpected',
    ],
    [
      'e-mail + issuer allowlist',
      PY,
      `match: { certIdentities: [{ certSubject: 'thomas@python\\.org' }] }\nexpected: [{ name: g, sans: [thomas@python.org], issuers: [https://accounts.google.com] }]`,
      'expected',
    ],
    [
      'second allowlist entry allows when the first refuses',
      PY,
      `match: { certIdentities: [{ certSubject: 'thomas@python\\.org' }] }\nexpected: [{ name: gh, issuers: [https://github.com/login/oauth] }, { name: g, issuers: ['https://accounts.google.*'] }]`,
      'expected',
    ],
    [
      'fingerprint allowlist',
      DLORENC,
      `match: { certIdentities: [{ certSubject: dlorenc }] }\nexpected: [{ name: k, fingerprints: [905b8d9564ff06a87b737d2871f8d1de75d8c217008ca1539e0b6fa100798a89] }]`,
      'expected',
    ],
    [
      'a claim the cert does not carry never satisfies a glob (2021 cert has no issuer)',
      DLORENC,
      `match: { certIdentities: [{ certSubject: dlorenc }] }\nexpected: [{ name: any, issuers: ['*'] }]`,
      'unexpected',
    ],
  ];
  it.each(cases)('%s', (_name, file, watch, want) => {
    expect(verdict(watch, cert(file))).toBe(want);
  });

  it('an unexpected verdict says which allowlist claims failed', () => {
    const [v] = policy(
      `match: { repositories: [${BEACON_REPO}] }\nexpected: [{ name: rel, refs: ['refs/tags/v*'], triggers: [push], runnerEnvironments: [github-hosted] }]`,
    ).evaluate([cert(BEACON)]);
    expect(v).toMatchObject({
      kind: 'unexpected',
      refusals: [{ expected: 'rel', failed: ['refs', 'triggers'] }],
      matchedBy: [{ matcher: 'repository', value: BEACON_REPO }],
    });
  });

  it('evaluates every signer of a multi-signer entry, and several watches', () => {
    const p = compileIdentityPolicy(
      parseIdentityPolicy(
        `version: 1\nwatches:\n  - name: a\n    match: { repositories: [${BEACON_REPO}] }\n  - name: b\n    match: { certIdentities: [{ certSubject: python }] }\n`,
      ),
    );
    const v = p.evaluate([cert(PY), cert(BEACON), cert(SLSA)]);
    expect(v.map((x) => [x.watch.name, x.signerIndex])).toEqual([
      ['b', 0],
      ['a', 1],
    ]);
  });
});
