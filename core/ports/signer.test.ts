import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../errors.js';
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

  it('refuses public keys and key types it has no algorithm for (KEY_UNSUPPORTED)', () => {
    for (const key of [generateKeyPairSync('ed25519').publicKey, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey]) {
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
  it('accepts a file reference and nothing else yet', () => {
    expect(keyRefSchema.parse({ file: '/k.pem' })).toEqual({ file: '/k.pem' });
    for (const bad of [{}, { file: '' }, { file: '/k.pem', mode: 600 }, { pkcs11: { slot: 0 } }, '/k.pem'])
      expect(keyRefSchema.safeParse(bad).success).toBe(false);
  });

  it('describes a reference without key material', () => {
    expect(describeKeyRef({ file: '/etc/chainwatch/audit.pem' })).toBe('file /etc/chainwatch/audit.pem');
  });
});
