import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../errors.js';
import { Secret } from '../secret.js';
import { describeKeyRef, keyObjectSigner, keyRefSchema } from './signer.js';

describe('keyObjectSigner', () => {
  it('signs Ed25519 asynchronously with a verifiable signature; key id = SHA-256 of the SPKI', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const s = keyObjectSigner(privateKey);
    expect(s.algorithm).toBe('ed25519');
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    expect(s.publicKey.export({ format: 'der', type: 'spki' })).toEqual(spki);
    expect(s.keyId).toBe(createHash('sha256').update(spki).digest('hex'));
    const msg = Buffer.from('text\n');
    const sig = await s.sign(msg);
    expect(sig).toHaveLength(64);
    expect(verify(null, msg, publicKey, sig)).toBe(true);
  });

  it('signs ECDSA P-256 (SHA-256) and P-384 (SHA-384) with DER signatures', async () => {
    for (const [curve, algorithm, hash] of [
      ['P-256', 'ecdsa-p256-sha256', 'sha256'],
      ['P-384', 'ecdsa-p384-sha384', 'sha384'],
    ] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const s = keyObjectSigner(privateKey);
      expect(s.algorithm).toBe(algorithm);
      const sig = await s.sign(Buffer.from('m'));
      expect(sig[0]).toBe(0x30);
      expect(verify(hash, Buffer.from('m'), publicKey, sig)).toBe(true);
    }
  });

  it('refuses public keys and key types it has no algorithm for (KEY_UNSUPPORTED)', () => {
    for (const key of [
      generateKeyPairSync('ed25519').publicKey,
      generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
    ]) {
      try {
        keyObjectSigner(key);
        expect.unreachable('must be refused');
      } catch (err) {
        expect(err).toBeInstanceOf(KeyError);
        expect((err as KeyError).code).toBe('KEY_UNSUPPORTED');
      }
    }
  });
});

describe('keyRefSchema', () => {
  it('accepts a file reference and a pkcs11 reference (URI, module, PIN as a secret)', () => {
    expect(keyRefSchema.parse({ file: '/k.pem' })).toEqual({ file: '/k.pem' });
    const p = keyRefSchema.parse({ pkcs11: { uri: 'pkcs11:token=hsm;object=audit', module: '/usr/lib/softhsm/libsofthsm2.so', pin: '1234' } });
    expect('pkcs11' in p && p.pkcs11.pin).toBeInstanceOf(Secret);
    expect(JSON.stringify(p)).not.toContain('1234');
    expect(keyRefSchema.safeParse({ pkcs11: { uri: 'pkcs11:token=hsm;object=a?module-path=/lib/p11.so', pin: 'x' } }).success).toBe(true);
    for (const bad of [
      {},
      { file: '' },
      { file: '/k.pem', mode: 600 },
      { pkcs11: { slot: 0 } },
      '/k.pem',
      { pkcs11: { uri: 'pkcs11:token=hsm;object=a', pin: 'x' } }, // no module anywhere
      { pkcs11: { uri: 'pkcs11:object=a', module: '/m.so', pin: 'x' } }, // no token
      { pkcs11: { uri: 'pkcs11:token=hsm;object=a?pin-value=1234', module: '/m.so', pin: 'x' } }, // PIN in the URI
      { pkcs11: { uri: 'pkcs11:token=hsm;object=a', module: '/m.so' } }, // no PIN
    ])
      expect(keyRefSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it('describes a reference without key material', () => {
    expect(describeKeyRef({ file: '/etc/chainwatch/audit.pem' })).toBe('file /etc/chainwatch/audit.pem');
    const p = keyRefSchema.parse({ pkcs11: { uri: 'pkcs11:token=hsm;object=audit', module: '/m.so', pin: 'secret-pin' } });
    expect(describeKeyRef(p)).toBe('pkcs11:token=hsm;object=audit');
  });
});
