import { constants, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashWith } from './digest.js';
import { verifyRsaPssPrehashed } from './rsa-pss.js';

// node:crypto signs; the prehashed verifier must agree with it on every salt length it can make.
describe('verifyRsaPssPrehashed', () => {
  const message = Buffer.from('prehashed PSS');
  const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
  const plain = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it.each([
    ['hash-length salt', 32],
    ['maximum salt', constants.RSA_PSS_SALTLEN_MAX_SIGN],
    ['empty salt', 0],
  ])('verifies a SHA-256 signature with %s', (_why, saltLength) => {
    const signature = sign('sha256', message, { key: pss.privateKey, saltLength });
    expect(verifyRsaPssPrehashed(pss.publicKey, hashWith('sha256', message), signature)).toBe(true);
  });

  it('verifies SHA-384 and SHA-512 signatures with MGF1 over the same hash', () => {
    for (const alg of ['sha384', 'sha512'] as const) {
      const signature = sign(alg, message, { key: pss.privateKey, saltLength: 32 });
      expect(verifyRsaPssPrehashed(pss.publicKey, hashWith(alg, message), signature)).toBe(true);
    }
  });

  it('refuses another digest, a flipped signature bit and a PKCS#1 v1.5 signature', () => {
    const signature = sign('sha256', message, { key: pss.privateKey, saltLength: 32 });
    expect(verifyRsaPssPrehashed(pss.publicKey, hashWith('sha256', Buffer.from('other')), signature)).toBe(false);
    const flipped = Buffer.from(signature);
    flipped[10]! ^= 1;
    expect(verifyRsaPssPrehashed(pss.publicKey, hashWith('sha256', message), flipped)).toBe(false);
    const v15 = sign('sha256', message, { key: plain.privateKey, padding: constants.RSA_PKCS1_PADDING });
    expect(verifyRsaPssPrehashed(plain.publicKey, hashWith('sha256', message), v15)).toBe(false);
    expect(verifyRsaPssPrehashed(pss.publicKey, { algorithm: 'sha256', value: createHash('sha256').update(message).digest() }, Buffer.alloc(3))).toBe(false);
  });

  it('refuses a digest algorithm the key parameters rule out', () => {
    const pinned = generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256' });
    const signature = sign('sha256', message, { key: pinned.privateKey, saltLength: 32 });
    expect(verifyRsaPssPrehashed(pinned.publicKey, hashWith('sha256', message), signature)).toBe(true);
    expect(verifyRsaPssPrehashed(pinned.publicKey, hashWith('sha384', message), signature)).toBe(false);
  });
});
