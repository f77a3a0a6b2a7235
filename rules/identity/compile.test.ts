import { describe, expect, it } from 'vitest';
import type { SignerIdentity as Signer } from '../../core/index.js';
import { FULCIO_EXTENSIONS as X } from './fulcio.js';
import { compileIdentityPolicy, parseIdentityPolicy, type Verdict } from './index.js';

// Table-driven cases over hand-built signers in the shape a rekor.entry event carries (core's
// Signer): rules/ sees only that shape. The same kinds of cases over REAL Fulcio certificates, read
// by trust's extraction, live in test/identity-rules.test.ts. Each case: a one-watch policy, a
// signer, what the policy must conclude ('none' = the watch does not concern this signature).
const GH = 'https://token.actions.githubusercontent.com';

function githubSigner(o: { repo: string; workflow: string; ref: string; trigger: string; visibility?: string }): Signer {
  const signerUri = `https://github.com/${o.workflow}`;
  return {
    kind: 'certificate',
    fingerprintSha256: '11'.repeat(32),
    san: signerUri,
    issuer: GH,
    extensions: {
      [X['issuer-v2']]: GH,
      [X['build-signer-uri']]: signerUri,
      [X['runner-environment']]: 'github-hosted',
      [X['source-repository-uri']]: `https://github.com/${o.repo}`,
      [X['source-repository-ref']]: o.ref,
      [X['build-trigger']]: o.trigger,
      [X['source-repository-visibility-at-signing']]: o.visibility ?? 'public',
    },
  };
}

/** acme/app's own workflow, run by hand on main. */
const BRANCH = githubSigner({
  repo: 'acme/app',
  workflow: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  ref: 'refs/heads/main',
  trigger: 'workflow_dispatch',
});
/** acme/app built by a reusable generator workflow from another repository, on a tag push. */
const REUSABLE = githubSigner({
  repo: 'acme/app',
  workflow: 'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
  ref: 'refs/tags/v1.0.0',
  trigger: 'push',
  visibility: 'private',
});
const EMAIL: Signer = {
  kind: 'certificate',
  fingerprintSha256: '22'.repeat(32),
  san: 'dev@acme.example',
  issuer: 'https://accounts.google.com',
  extensions: { [X['issuer-v2']]: 'https://accounts.google.com' },
};
/** An early-style certificate: e-mail SAN, no Fulcio extensions, so no issuer. */
const LEGACY: Signer = {
  kind: 'certificate',
  fingerprintSha256: '905b8d9564ff06a87b737d2871f8d1de75d8c217008ca1539e0b6fa100798a89',
  san: 'old@acme.example',
  extensions: {},
};

const policy = (watch: string) => compileIdentityPolicy(parseIdentityPolicy(`version: 1\nwatches:\n  - name: w\n${watch.replace(/^/gm, '    ')}`));
const verdict = (watch: string, signer: Signer): Verdict['kind'] | 'none' => {
  const v = policy(watch).evaluate([signer]);
  expect(v.length).toBeLessThanOrEqual(1);
  return v[0]?.kind ?? 'none';
};

describe('identity rules over signers', () => {
  const gen = 'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml';
  const cases: [string, Signer, string, Verdict['kind'] | 'none'][] = [
    // -- match --
    ['repository match, no allowlist -> unexpected', BRANCH, 'match: { repositories: [github.com/acme/app] }', 'unexpected'],
    ['repository glob over the owner', BRANCH, `match: { repositories: ['github.com/acme/*'] }`, 'unexpected'],
    ['another repository is not watched', BRANCH, 'match: { repositories: [github.com/acme/other] }', 'none'],
    ['reusable workflow: watched by SOURCE repository', REUSABLE, 'match: { repositories: [acme/app] }', 'unexpected'],
    ['certSubject regex (unanchored)', BRANCH, `match: { certIdentities: [{ certSubject: 'release\\.yml@' }] }`, 'unexpected'],
    [
      'certSubject + issuer regex',
      EMAIL,
      `match: { certIdentities: [{ certSubject: '^dev@acme\\.example$', issuers: ['^https://accounts\\.google\\.com$'] }] }`,
      'unexpected',
    ],
    ['certSubject with a non-matching issuer', EMAIL, `match: { certIdentities: [{ certSubject: 'dev@acme', issuers: ['token\\.actions'] }] }`, 'none'],
    ['issuers listed but the certificate has none', LEGACY, `match: { certIdentities: [{ certSubject: old, issuers: [google] }] }`, 'none'],
    ['certSubject alone matches a certificate without issuer', LEGACY, `match: { certIdentities: [{ certSubject: 'old@acme' }] }`, 'unexpected'],
    ['subjects apply to non-certificate signers only', EMAIL, `match: { subjects: ['dev@acme\\.example'] }`, 'none'],
    [
      'fingerprint (colon form, upper case)',
      LEGACY,
      `match: { fingerprints: ['90:5B:8D:95:64:FF:06:A8:7B:73:7D:28:71:F8:D1:DE:75:D8:C2:17:00:8C:A1:53:9E:0B:6F:A1:00:79:8A:89'] }`,
      'unexpected',
    ],
    [
      'oidMatcher on Build Signer URI',
      REUSABLE,
      `match: { oidMatchers: [{ oid: ${X['build-signer-uri']}, extensionValues: ['https://github.com/${gen}@refs/tags/v2.1.0'] }] }`,
      'unexpected',
    ],
    [
      'oidMatcher values are exact',
      REUSABLE,
      `match: { oidMatchers: [{ oid: ${X['build-signer-uri']}, extensionValues: ['generator_generic_slsa3.yml'] }] }`,
      'none',
    ],
    ['fulcioExtensions by name', REUSABLE, 'match: { fulcioExtensions: { source-repository-visibility-at-signing: [private] } }', 'unexpected'],
    // -- expected (allowlist) --
    [
      'tag-release allowlist refuses a branch build',
      BRANCH,
      `match: { repositories: [acme/app] }\nexpected: [{ name: rel, workflowRefs: ['.github/workflows/release.yml@refs/tags/v*'], refs: ['refs/tags/v*'] }]`,
      'unexpected',
    ],
    [
      'the same workflow on main is allowed when listed',
      BRANCH,
      `match: { repositories: [acme/app] }\nexpected: [{ name: main, workflowRefs: ['.github/workflows/release.yml@refs/heads/main'], triggers: [workflow_dispatch], runnerEnvironments: [github-hosted] }]`,
      'expected',
    ],
    [
      'a relative workflowRef never matches another repository',
      REUSABLE,
      `match: { repositories: [acme/app] }\nexpected: [{ name: x, workflowRefs: ['.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0'] }]`,
      'unexpected',
    ],
    [
      'explicit reusable workflowRef at v2.*',
      REUSABLE,
      `match: { repositories: [acme/app] }\nexpected: [{ name: gen, workflowRefs: ['${gen}@refs/tags/v2.*'], issuers: [${GH}] }]`,
      'expected',
    ],
    [
      'explicit reusable workflowRef as https URL',
      REUSABLE,
      `match: { repositories: [acme/app] }\nexpected: [{ name: gen, workflowRefs: ['https://github.com/${gen}@refs/tags/v2.1.0'] }]`,
      'expected',
    ],
    [
      'pinned generator v1 refuses v2.1.0',
      REUSABLE,
      `match: { repositories: [acme/app] }\nexpected: [{ name: gen, workflowRefs: ['${gen}@refs/tags/v1.*'] }]`,
      'unexpected',
    ],
    ['a wrong trigger refuses', REUSABLE, `match: { repositories: ['github.com/acme/*'] }\nexpected: [{ name: x, triggers: [release] }]`, 'unexpected'],
    [
      'an extension allowlist by OID refuses private visibility',
      REUSABLE,
      `match: { repositories: ['github.com/acme/*'] }\nexpected: [{ name: x, extensions: { ${X['source-repository-visibility-at-signing']}: [public] } }]`,
      'unexpected',
    ],
    [
      'e-mail + issuer allowlist',
      EMAIL,
      `match: { certIdentities: [{ certSubject: 'dev@acme' }] }\nexpected: [{ name: g, sans: [dev@acme.example], issuers: [https://accounts.google.com] }]`,
      'expected',
    ],
    [
      'a second allowlist entry allows when the first refuses',
      EMAIL,
      `match: { certIdentities: [{ certSubject: 'dev@acme' }] }\nexpected: [{ name: gh, issuers: [https://github.com/login/oauth] }, { name: g, issuers: ['https://accounts.google.*'] }]`,
      'expected',
    ],
    [
      'fingerprint allowlist',
      LEGACY,
      `match: { certIdentities: [{ certSubject: old }] }\nexpected: [{ name: k, fingerprints: [905b8d9564ff06a87b737d2871f8d1de75d8c217008ca1539e0b6fa100798a89] }]`,
      'expected',
    ],
    [
      'a claim the signer does not carry never satisfies a glob',
      LEGACY,
      `match: { certIdentities: [{ certSubject: old }] }\nexpected: [{ name: any, issuers: ['*'] }]`,
      'unexpected',
    ],
  ];
  it.each(cases)('%s', (_name, signer, watch, want) => {
    expect(verdict(watch, signer)).toBe(want);
  });

  it('an unexpected verdict says which allowlist claims failed', () => {
    const [v] = policy(
      `match: { repositories: [github.com/acme/app] }\nexpected: [{ name: rel, refs: ['refs/tags/v*'], triggers: [push], runnerEnvironments: [github-hosted] }]`,
    ).evaluate([BRANCH]);
    expect(v).toMatchObject({
      kind: 'unexpected',
      refusals: [{ expected: 'rel', failed: ['refs', 'triggers'] }],
      matchedBy: [{ matcher: 'repository', value: 'github.com/acme/app' }],
    });
  });

  it('public-key signers match `subjects`, not certIdentities', () => {
    const key: Signer = { kind: 'publicKey', san: 'subject@domain.com', extensions: {} };
    expect(verdict(`match: { subjects: ['subject@domain\\.com'] }`, key)).toBe('unexpected');
    expect(verdict(`match: { certIdentities: [{ certSubject: 'subject@domain\\.com' }] }`, key)).toBe('none');
  });
});
