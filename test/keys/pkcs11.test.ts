/**
 * keys/pkcs11 against SoftHSM2 (Debian's build, scripts/services/softhsm.sh): a fresh token per
 * test, keys imported from node:crypto so each signature is checked with node:crypto's verify.
 */
import { generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyError, keyRefSchema, type KeyRef, Secret, spkiKeyId } from '../../core/index.js';
import { createKeyProvider } from '../../keys/index.js';
import pkcs11js from 'pkcs11js';
import { deleteToken, importKey, keyUri, newToken, softhsm, type SoftToken } from '../helpers/softhsm.js';

const ref = (token: SoftToken, uri: string, pin = token.pin, module = token.module): KeyRef =>
  keyRefSchema.parse({ pkcs11: { uri, module, pin: new Secret(pin) } });

function tokenWith(kind: 'ed25519' | 'P-256' | 'P-384'): { token: SoftToken; privateKey: KeyObject; publicKey: KeyObject } {
  const token = newToken();
  const pair = kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: kind });
  importKey(token, pair.privateKey, 'checkpoint', '01');
  return { token, ...pair };
}

describe.skipIf(softhsm.skip)('PKCS#11 signer on SoftHSM2', () => {
  const keys = createKeyProvider();

  for (const [kind, algorithm, hash] of [
    ['ed25519', 'ed25519', null],
    ['P-256', 'ecdsa-p256-sha256', 'sha256'],
    ['P-384', 'ecdsa-p384-sha384', 'sha384'],
  ] as const) {
    it(`${kind}: signs in the token; node:crypto verifies (DER for ECDSA); 20 concurrent signatures share the session pool`, async () => {
      const { token, publicKey } = tokenWith(kind);
      const signer = await keys.open(ref(token, keyUri(token, 'checkpoint')));
      try {
        expect(signer.algorithm).toBe(algorithm);
        expect(signer.keyId).toBe(spkiKeyId(publicKey));
        const msgs = Array.from({ length: 20 }, (_, i) => Buffer.from(`chainwatch.audit/x\n${i}\nroot\n`));
        const sigs = await Promise.all(msgs.map((m) => signer.sign(m)));
        sigs.forEach((sig, i) => expect(verify(hash, msgs[i]!, publicKey, sig), `signature ${i}`).toBe(true));
        if (hash) expect(sigs[0]![0]).toBe(0x30); // DER SEQUENCE, not P1363
      } finally {
        await signer.close?.();
      }
    });
  }

  it('finds the key by CKA_ID alone (id=%01)', async () => {
    const { token, publicKey } = tokenWith('P-256');
    const signer = await keys.open(ref(token, `pkcs11:token=${token.label};id=%01`));
    expect(signer.keyId).toBe(spkiKeyId(publicKey));
    await signer.close?.();
  });

  it('coded errors: wrong PIN, missing token, missing key, unloadable module; the PIN is in none of them', async () => {
    const { token } = tokenWith('ed25519');
    const wrongPin = 'not-the-pin-0000';
    await expect(keys.open(ref(token, keyUri(token, 'checkpoint'), wrongPin))).rejects.toThrowWithCode(KeyError, 'KEY_PIN_INCORRECT');
    await expect(keys.open(ref(token, 'pkcs11:token=no-such-token;object=checkpoint'))).rejects.toThrowWithCode(KeyError, 'KEY_TOKEN_NOT_FOUND');
    await expect(keys.open(ref(token, keyUri(token, 'no-such-key')))).rejects.toThrowWithCode(KeyError, 'KEY_NOT_FOUND');
    await expect(keys.open(ref(token, keyUri(token, 'checkpoint'), token.pin, '/nonexistent/libpkcs11.so'))).rejects.toThrowWithCode(
      KeyError,
      'KEY_MODULE_UNLOADABLE',
    );
    const err = (await keys.open(ref(token, keyUri(token, 'checkpoint'), wrongPin)).catch((e: unknown) => e)) as Error;
    expect(`${err.message} ${JSON.stringify(err)} ${String(err.cause)}`).not.toContain(wrongPin);
    expect(JSON.stringify(ref(token, keyUri(token, 'checkpoint')))).not.toContain(token.pin);
  });

  it('reconnects after a token error: sessions closed under it (CKR_SESSION_HANDLE_INVALID) and a library reset', async () => {
    const { token, publicKey } = tokenWith('P-256');
    const signer = await keys.open(ref(token, keyUri(token, 'checkpoint')));
    const msg = Buffer.from('m');
    expect(verify('sha256', msg, publicKey, await signer.sign(msg))).toBe(true);
    // Every session of the slot closed behind the signer's back: its handles are invalid now.
    // (A second handle on the same loaded library: dlopen shares it, and Cryptoki state is per process.)
    const p11 = new pkcs11js.PKCS11();
    p11.load(token.module);
    expect(() => p11.C_Initialize()).toThrow(/CKR_CRYPTOKI_ALREADY_INITIALIZED/);
    for (const slot of p11.C_GetSlotList(true)) p11.C_CloseAllSessions(slot);
    expect(verify('sha256', msg, publicKey, await signer.sign(msg))).toBe(true);
    // Another token opened later re-initialises the library (SoftHSM lists tokens only then).
    const other = tokenWith('ed25519');
    const second = await keys.open(ref(other.token, keyUri(other.token, 'checkpoint')));
    expect(verify('sha256', msg, publicKey, await signer.sign(msg))).toBe(true);
    await second.close?.();
    await signer.close?.();
  });

  it('a token that is gone: KEY_TOKEN_NOT_FOUND on the next signature after the library notices, not a crash', async () => {
    const { token } = tokenWith('ed25519');
    const signer = await keys.open(ref(token, keyUri(token, 'checkpoint')));
    await signer.sign(Buffer.from('before'));
    deleteToken(token);
    // Opening another (new) token makes the library re-initialise: the deleted one is gone from it.
    const other = tokenWith('ed25519');
    await (await keys.open(ref(other.token, keyUri(other.token, 'checkpoint')))).close?.();
    await expect(signer.sign(Buffer.from('after'))).rejects.toThrowWithCode(KeyError, 'KEY_TOKEN_NOT_FOUND');
    await signer.close?.();
  });
});
