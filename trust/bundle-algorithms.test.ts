import { createHash } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { verifyBundle, type ArtifactInput } from './bundle.js';
import { BundleVerifyError } from './errors.js';
import { generateSigningKey, publicKeyOf, registryDigest, signBundle, type SigningKeySpec } from './testing/sign-bundle.js';
import { parseTrustedRoot } from './trusted-root.js';

// Bundles for every signing algorithm Sigstore's registry allows, made at test time by
// trust/testing/sign-bundle.ts (node:crypto keys, Rekor v1-shaped log entry under a local log key).
const ARTIFACT = Buffer.from('chainwatch bundle-algorithm fixture\n');

const SPECS: SigningKeySpec[] = [
  { kind: 'ecdsa', curve: 'P-256' },
  { kind: 'ecdsa', curve: 'P-384' },
  { kind: 'ecdsa', curve: 'P-521' },
  { kind: 'rsa-pkcs1', bits: 2048 },
  { kind: 'rsa-pkcs1', bits: 3072 },
  { kind: 'rsa-pkcs1', bits: 4096 },
  { kind: 'rsa-pss', bits: 2048 },
  { kind: 'rsa-pss', bits: 3072 },
  { kind: 'rsa-pss', bits: 4096 },
];
const label = (s: SigningKeySpec): string => (s.kind === 'ecdsa' ? `ECDSA ${s.curve}` : `${s.kind} ${s.bits}`);

function verify(made: ReturnType<typeof signBundle>, artifact: ArtifactInput) {
  return verifyBundle({
    bundle: made.bundle,
    artifact,
    policy: { key: made.publicKeyPem },
    trustedRoot: parseTrustedRoot(made.trustedRoot, 'generated'),
  });
}

/** @sigstore/verify on its own, as the reference implementation: does it accept the bundle? */
function oracleAccepts(made: ReturnType<typeof signBundle>, artifact: Buffer): boolean {
  const key = publicKeyOf(made.publicKeyPem);
  const material = toTrustMaterial(parseTrustedRoot(made.trustedRoot, 'generated'), () => ({ publicKey: key, validFor: () => true }));
  try {
    new Verifier(material).verify(toSignedEntity(bundleFromJSON(made.bundle), artifact));
    return true;
  } catch {
    return false;
  }
}

describe.each(SPECS)('a bundle signed with $kind', (spec) => {
  const made = signBundle(ARTIFACT, spec);
  const alg = registryDigest(spec);
  const hex = createHash(alg).update(ARTIFACT).digest('hex');

  it(`verifies the artifact file (${label(spec)}, ${alg})`, () => {
    expect(verify(made, ARTIFACT)).toMatchObject({ content: 'messageSignature', identity: undefined });
  });

  it(`verifies the ${alg}: digest argument (${label(spec)})`, () => {
    expect(verify(made, { digest: `${alg}:${hex}` }).content).toBe('messageSignature');
    expect(verify(made, { digest: `${alg}:${hex.toUpperCase()}` }).content).toBe('messageSignature');
  });

  it(`refuses another artifact and a wrong signature (${label(spec)})`, () => {
    expect(() => verify(made, Buffer.from('another artifact'))).toThrowWithCode(BundleVerifyError, 'BUNDLE_ARTIFACT_MISMATCH');
    const other = signBundle(Buffer.from('another artifact'), spec, { keys: generateSigningKey({ kind: 'ecdsa', curve: 'P-256' }) });
    const forged = { ...made, bundle: { ...made.bundle, messageSignature: other.bundle.messageSignature } };
    expect(() => verify(forged, Buffer.from('another artifact'))).toThrow(BundleVerifyError);
  });
});

describe('digest algorithm agreement', () => {
  const p384 = signBundle(ARTIFACT, { kind: 'ecdsa', curve: 'P-384' });

  it('agrees with @sigstore/verify (the oracle) on generated bundles', () => {
    for (const spec of [SPECS[1]!, SPECS[2]!, SPECS[6]!]) {
      const made = signBundle(ARTIFACT, spec);
      expect(oracleAccepts(made, ARTIFACT)).toBe(true);
      expect(verify(made, ARTIFACT).content).toBe('messageSignature');
      expect(oracleAccepts(made, Buffer.from('tampered'))).toBe(false);
    }
  });

  it('refuses a digest argument in another algorithm than the bundle signs', () => {
    const sha256 = createHash('sha256').update(ARTIFACT).digest('hex');
    expect(() => verify(p384, { digest: `sha256:${sha256}` })).toThrowWithCode(BundleVerifyError, 'BUNDLE_ARTIFACT_MISMATCH');
  });

  it('refuses a digest argument of the right algorithm but another artifact', () => {
    expect(() => verify(p384, { digest: `sha384:${'0'.repeat(96)}` })).toThrowWithCode(BundleVerifyError, 'BUNDLE_ARTIFACT_MISMATCH');
  });

  it('honours a non-registry pairing the bundle states (P-256 key, SHA-512 digest)', () => {
    const made = signBundle(ARTIFACT, { kind: 'ecdsa', curve: 'P-256' }, { digest: 'sha512' });
    expect(oracleAccepts(made, ARTIFACT)).toBe(true);
    expect(verify(made, ARTIFACT).content).toBe('messageSignature');
    expect(verify(made, { digest: `sha512:${createHash('sha512').update(ARTIFACT).digest('hex')}` }).content).toBe('messageSignature');
  });

  it("falls back to the key's registry digest when the bundle names no algorithm", () => {
    const made = signBundle(ARTIFACT, { kind: 'ecdsa', curve: 'P-384' });
    const ms = made.bundle.messageSignature as { messageDigest: { algorithm?: string } };
    delete ms.messageDigest.algorithm; // HASH_ALGORITHM_UNSPECIFIED
    expect(verify(made, ARTIFACT).content).toBe('messageSignature');
    expect(verify(made, { digest: `sha384:${createHash('sha384').update(ARTIFACT).digest('hex')}` }).content).toBe('messageSignature');
    expect(() => verify(made, { digest: `sha256:${createHash('sha256').update(ARTIFACT).digest('hex')}` })).toThrowWithCode(
      BundleVerifyError,
      'BUNDLE_ARTIFACT_MISMATCH',
    );
  });
});
