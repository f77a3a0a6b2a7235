import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../core/index.js';
import { ecPublicKey, p1363ToDer } from './encoding.js';

describe('PKCS#11 <-> node:crypto encodings (offline)', () => {
  it('P1363 r||s to DER: node:crypto verifies the converted signature (P-256, P-384; many runs to hit high bits and leading zeros)', () => {
    for (const [curve, hash] of [
      ['P-256', 'sha256'],
      ['P-384', 'sha384'],
    ] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      for (let i = 0; i < 200; i++) {
        const msg = Buffer.from(`m${i}`);
        const p1363 = sign(hash, msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = p1363ToDer(p1363);
        expect(verify(hash, msg, publicKey, der)).toBe(true); // OpenSSL refuses non-minimal DER: this also checks the encoding
      }
    }
    expect(() => p1363ToDer(Buffer.alloc(63))).toThrow(KeyError);
  });

  it('builds the public key from CKA_EC_PARAMS and CKA_EC_POINT, DER-wrapped or raw', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const params = Buffer.from('06082a8648ce3d030107', 'hex');
    for (const form of [Buffer.concat([Buffer.from([0x04, 65]), point]), point]) {
      const k = ecPublicKey(params, form);
      expect(k.algorithm).toBe('ecdsa-p256-sha256');
      expect(k.publicKey.equals(publicKey)).toBe(true);
    }
    const ed = generateKeyPairSync('ed25519').publicKey;
    const raw = Buffer.from(ed.export({ format: 'jwk' }).x!, 'base64url');
    expect(ecPublicKey(Buffer.from('130c656477617264733235353139', 'hex'), Buffer.concat([Buffer.from([0x04, 32]), raw])).publicKey.equals(ed)).toBe(true);
    expect(ecPublicKey(Buffer.from('06032b6570', 'hex'), raw).algorithm).toBe('ed25519');
    expect(() => ecPublicKey(Buffer.from('06052b81040023', 'hex'), point)).toThrowWithCode(KeyError, 'KEY_UNSUPPORTED'); // P-521
  });
});

describe('P1363 signatures a token should never return', () => {
  it('refuses r or s out of range (zero) and widths of no supported curve, with KEY_SIGN_FAILED', () => {
    expect(() => p1363ToDer(Buffer.alloc(64))).toThrowWithCode(KeyError, 'KEY_SIGN_FAILED');
    expect(() => p1363ToDer(Buffer.alloc(96, 0xff))).toThrowWithCode(KeyError, 'KEY_SIGN_FAILED'); // r, s >= n
    expect(() => p1363ToDer(Buffer.alloc(132, 1))).toThrowWithCode(KeyError, 'KEY_SIGN_FAILED'); // P-521: not a signer algorithm
  });
});
