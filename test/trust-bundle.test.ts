import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleVerifyError, parseTrustedRoot, verifyBundle, verifyBundleCommand, type CommandIO, type VerifyBundleInput } from '../trust/index.js';
import { signBundle, type SigningKeySpec } from '../trust/testing/index.js';
import { realdata } from './helpers/services.js';

const rd = realdata();
const BASE = join(rd.dir, 'sigstore', 'conformance', 'bundle-verify');
const PROD = join(rd.dir, 'sigstore', 'trusted-roots', 'prod', 'trusted_root.json');
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

const read = (...p: string[]): string => readFileSync(join(BASE, ...p), 'utf8');
const prodRoot = () => parseTrustedRoot(readFileSync(PROD, 'utf8'), PROD);
const caseRoot = (name: string) => parseTrustedRoot(read(name, 'trusted_root.json'), name);

function codeOf(input: VerifyBundleInput): string | undefined {
  try {
    verifyBundle(input);
  } catch (err) {
    expect(err).toBeInstanceOf(BundleVerifyError);
    return (err as BundleVerifyError).code;
  }
  return undefined;
}

function quietIO(): CommandIO & { err: () => string } {
  let err = '';
  return { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, tuf: false, err: () => err };
}

describe.skipIf(rd.skip)('verifyBundle (realdata conformance bundles)', () => {
  const artifact = (): Buffer => readFileSync(join(BASE, 'a.txt'));

  it('returns the verified identity of a keyless message signature', () => {
    const result = verifyBundle({
      bundle: read('happy-path-v0.3', 'bundle.sigstore.json'),
      artifact: artifact(),
      policy: { identity: IDENTITY, issuer: ISSUER },
      trustedRoot: prodRoot(),
    });
    expect(result).toMatchObject({ content: 'messageSignature', identity: IDENTITY, issuer: ISSUER, payload: undefined });
  });

  it('verifies against only the artifact digest', () => {
    const digest = `sha256:${createHash('sha256').update(artifact()).digest('hex')}`;
    const input = { bundle: read('happy-path-v0.3', 'bundle.sigstore.json'), policy: { identity: IDENTITY, issuer: ISSUER }, trustedRoot: prodRoot() };
    expect(verifyBundle({ ...input, artifact: { digest } }).identity).toBe(IDENTITY);
    expect(codeOf({ ...input, artifact: { digest: `sha256:${'0'.repeat(64)}` } })).toBe('BUNDLE_ARTIFACT_MISMATCH');
    expect(codeOf({ ...input, artifact: { digest: 'md5:abc' } })).toBe('BUNDLE_DIGEST_MALFORMED');
  });

  it('returns the in-toto payload of a DSSE bundle', () => {
    const result = verifyBundle({
      bundle: read('happy-path-intoto-in-dsse-v3', 'bundle.sigstore.json'),
      artifact: artifact(),
      policy: { identity: IDENTITY, issuer: ISSUER },
      trustedRoot: prodRoot(),
    });
    expect(result.content).toBe('dsseEnvelope');
    expect(result.payload?.type).toBe('application/vnd.in-toto+json');
  });

  it('refuses a DSSE bundle for an artifact that is not one of its subjects', () => {
    const input = {
      bundle: read('happy-path-intoto-in-dsse-v3', 'bundle.sigstore.json'),
      policy: { identity: IDENTITY, issuer: ISSUER },
      trustedRoot: prodRoot(),
    };
    expect(codeOf({ ...input, artifact: Buffer.from('something else') })).toBe('BUNDLE_ARTIFACT_MISMATCH');
  });

  it('matches identity and issuer exactly, not as a pattern', () => {
    const input = { bundle: read('happy-path-v0.3', 'bundle.sigstore.json'), artifact: artifact(), trustedRoot: prodRoot() };
    expect(codeOf({ ...input, policy: { identity: 'https://github.com/sigstore-conformance/', issuer: ISSUER } })).toBe('BUNDLE_POLICY_MISMATCH');
    expect(codeOf({ ...input, policy: { identity: '.*', issuer: ISSUER } })).toBe('BUNDLE_POLICY_MISMATCH');
    expect(codeOf({ ...input, policy: { identity: IDENTITY, issuer: 'https://accounts.google.com' } })).toBe('BUNDLE_POLICY_MISMATCH');
  });

  it('names the step that failed', () => {
    const policy = { identity: IDENTITY, issuer: ISSUER };
    const at = (name: string) => codeOf({ bundle: read(name, 'bundle.sigstore.json'), artifact: artifact(), policy, trustedRoot: prodRoot() });
    expect(at('bundle-unknown-version_fail')).toBe('BUNDLE_MALFORMED');
    expect(at('bundle-negative-log-index_fail')).toBe('BUNDLE_MALFORMED');
    expect(at('bundle-with-root-cert_fail')).toBe('BUNDLE_CERTIFICATE_INVALID');
    expect(at('bundle-from-wrong-instance_fail')).toBe('BUNDLE_CERTIFICATE_INVALID');
    expect(at('message-digest-mismatch_fail')).toBe('BUNDLE_ARTIFACT_MISMATCH');
    expect(at('inclusion-proof-corrupted-hash_fail')).toBe('BUNDLE_TLOG_INVALID');
    expect(at('set-invalid-signature_fail')).toBe('BUNDLE_TLOG_INVALID');
    expect(codeOf({ bundle: '{"mediaType":', artifact: artifact(), policy, trustedRoot: prodRoot() })).toBe('BUNDLE_MALFORMED');
    const rekor2 = (name: string) => codeOf({ bundle: read(name, 'bundle.sigstore.json'), artifact: artifact(), policy, trustedRoot: caseRoot(name) });
    expect(rekor2('rekor2-no-timestamp_fail')).toBe('BUNDLE_TIMESTAMP_INVALID');
    expect(rekor2('rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail')).toBe('BUNDLE_TIMESTAMP_INVALID');
  });

  it('verifies managed-key bundles only with the key, and never a certificate bundle with a key', () => {
    const key = read('managed-key-happy-path', 'key.pub');
    const bundle = read('managed-key-happy-path', 'bundle.sigstore.json');
    expect(verifyBundle({ bundle, artifact: artifact(), policy: { key }, trustedRoot: prodRoot() }).identity).toBeUndefined();
    expect(codeOf({ bundle, artifact: artifact(), policy: { identity: IDENTITY, issuer: ISSUER }, trustedRoot: prodRoot() })).toBe('BUNDLE_KEY_INVALID');
    expect(codeOf({ bundle: read('happy-path-v0.3', 'bundle.sigstore.json'), artifact: artifact(), policy: { key }, trustedRoot: prodRoot() })).toBe(
      'BUNDLE_KEY_INVALID',
    );
  });
});

describe.skipIf(rd.skip)('verify-bundle command', () => {
  const bundle = join(BASE, 'happy-path-v0.1', 'bundle.sigstore.json');
  const a = join(BASE, 'a.txt');

  it('uses the embedded production root when no --trusted-root is given (offline)', async () => {
    const o = quietIO();
    expect(await verifyBundleCommand(['--bundle', bundle, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, a], o)).toBe(0);
    expect(o.err()).toBe('');
    const staged = join(BASE, 'bundle-from-wrong-instance_fail', 'bundle.sigstore.json');
    expect(await verifyBundleCommand(['--bundle', staged, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, a], quietIO())).toBe(1);
  });

  it('fails --staging without a staging root with a one-line reason', async () => {
    const o = quietIO();
    expect(await verifyBundleCommand(['--staging', '--bundle', bundle, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, a], o)).toBe(1);
    expect(o.err()).toContain('TRUST_ROOT_UNAVAILABLE');
    expect(o.err().trim().split('\n')).toHaveLength(1);
    // The line says why (offline, no staging root ships) and names both ways out.
    expect(o.err()).toMatch(/offline/);
    expect(o.err()).toContain('--trusted-root');
    expect(o.err()).toContain('--staging-tuf-root');
  });

  it('fails --staging with a staging TUF root but no way to reach the repository with a one-line fix', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'cw-staging-tuf-'));
    try {
      const o = { ...quietIO(), tuf: { timeoutMs: 3_000, cachePath: cache, mirrorURL: 'http://127.0.0.1:9' } };
      const tufRoot = join(rd.dir, 'sigstore', 'trusted-roots', 'staging', 'root.json');
      const argv = ['--staging', '--staging-tuf-root', tufRoot, '--bundle', bundle, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, a];
      expect(await verifyBundleCommand(argv, o)).toBe(1);
      expect(o.err()).toContain('TUF_UNAVAILABLE');
      expect(o.err()).toContain('--trusted-root');
      expect(o.err().trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it.each([['sha256:zz'], ['sha256:'], ['sha384:abc'], ['SHA512:xyz'], ['md5:d41d8cd98f00b204e9800998ecf8427e']])(
    'refuses the malformed digest %s as a usage error naming it',
    async (digest) => {
      const o = quietIO();
      expect(await verifyBundleCommand(['--bundle', bundle, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, digest], o)).toBe(2);
      expect(o.err()).toContain(`malformed digest "${digest}"`);
      expect(o.err()).not.toContain('INPUT_UNREADABLE');
    },
  );

  it.each([
    ['no artifact', ['--bundle', 'b.json', '--certificate-identity', 'x', '--certificate-oidc-issuer', 'y']],
    ['no bundle', ['--certificate-identity', 'x', '--certificate-oidc-issuer', 'y', 'a.txt']],
    ['identity without issuer', ['--bundle', 'b.json', '--certificate-identity', 'x', 'a.txt']],
    ['key and identity', ['--bundle', 'b.json', '--key', 'k.pem', '--certificate-identity', 'x', '--certificate-oidc-issuer', 'y', 'a.txt']],
    ['unknown flag', ['--bundle', 'b.json', '--nope', 'a.txt']],
  ])('rejects bad usage (%s) with exit 2', async (_why, argv) => {
    expect(await verifyBundleCommand(argv, quietIO())).toBe(2);
  });

  it('reports an unreadable bundle or artifact as a failed verification', async () => {
    const o = quietIO();
    expect(
      await verifyBundleCommand(['--bundle', join(BASE, 'missing.json'), '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, a], o),
    ).toBe(1);
    expect(o.err()).toContain('INPUT_UNREADABLE');
    expect(
      await verifyBundleCommand(
        ['--bundle', bundle, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, join(BASE, 'missing.txt')],
        quietIO(),
      ),
    ).toBe(1);
  });
});

describe('verify-bundle command with SHA-384 and SHA-512 bundles', () => {
  // Generated at test time (trust/testing/sign-bundle.ts): ECDSA P-384/SHA-384 and P-521/SHA-512
  // managed-key bundles with a Rekor v1-shaped entry under a throw-away log key.
  const dir = mkdtempSync(join(tmpdir(), 'cw-bundle-alg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const artifact = join(dir, 'artifact.txt');
  writeFileSync(artifact, 'chainwatch verify-bundle digest algorithms\n');

  const write = (name: string, spec: SigningKeySpec) => {
    const made = signBundle(readFileSync(artifact), spec);
    const paths = { bundle: join(dir, `${name}.sigstore.json`), key: join(dir, `${name}.pub`), root: join(dir, `${name}.root.json`) };
    writeFileSync(paths.bundle, JSON.stringify(made.bundle));
    writeFileSync(paths.key, made.publicKeyPem);
    writeFileSync(paths.root, made.trustedRoot);
    return (subject: string, o = quietIO()) => verifyBundleCommand(['--bundle', paths.bundle, '--key', paths.key, '--trusted-root', paths.root, subject], o);
  };

  it.each([
    ['p384', { kind: 'ecdsa', curve: 'P-384' } as const, 'sha384'],
    ['p521', { kind: 'ecdsa', curve: 'P-521' } as const, 'sha512'],
  ])('verifies the %s bundle by file and by its own digest algorithm, and refuses a sha256 digest', async (name, spec, alg) => {
    const run = write(name, spec);
    const o = quietIO();
    expect(await run(artifact, o)).toBe(0);
    expect(o.err()).toBe('');
    const body = readFileSync(artifact);
    expect(await run(`${alg}:${createHash(alg).update(body).digest('hex')}`)).toBe(0);
    const wrong = quietIO();
    expect(await run(`sha256:${createHash('sha256').update(body).digest('hex')}`, wrong)).toBe(1);
    expect(wrong.err()).toContain('BUNDLE_ARTIFACT_MISMATCH');
  });
});
