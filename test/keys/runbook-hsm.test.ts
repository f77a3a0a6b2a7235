/**
 * The runbooks' HSM effects (keys/runbooks/hsm.ts) against SoftHSM2, a fresh token per test:
 * disabling sets CKA_SIGN false so the token refuses to sign, and a second disable reports
 * alreadyApplied without touching the token; archive relabels; destroy removes the private key;
 * rotate's key generation is idempotent by its seed.
 */
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyError, keyRefSchema, Secret, spkiKeyId } from '../../core/index.js';
import { createKeyProvider, loadRunbookHsm } from '../../keys/index.js';
import { importKey, keyUri, newToken, softhsm, type SoftToken } from '../helpers/softhsm.js';

const { canSign, disableKey, generateKey } = await loadRunbookHsm();

const hsm = (t: SoftToken) => ({ module: t.module, token: t.label, pin: new Secret(t.pin) });

function tokenWithKey() {
  const token = newToken('rb');
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  importKey(token, pair.privateKey, 'release', '0a');
  return { token, keyId: spkiKeyId(pair.publicKey) };
}

describe.skipIf(softhsm.skip)('runbook HSM effects on SoftHSM2', () => {
  const keys = createKeyProvider();

  it('disable: CKA_SIGN false, the token then refuses to sign; a repeat changes nothing (alreadyApplied)', async () => {
    const { token, keyId } = tokenWithKey();
    const ref = keyRefSchema.parse({ pkcs11: { uri: keyUri(token, 'release'), module: token.module, pin: new Secret(token.pin) } });
    const before = await keys.open(ref);
    await before.sign(Buffer.from('ok'));
    await before.close?.();
    expect(await canSign(hsm(token), keyId)).toBe(true);
    expect(await disableKey(hsm(token), keyId, 'disable')).toMatchObject({ alreadyApplied: false, label: 'release', id: '0a' });
    expect(await canSign(hsm(token), keyId)).toBe(false);
    expect(await disableKey(hsm(token), keyId, 'disable')).toMatchObject({ alreadyApplied: true });
    const after = await keys.open(ref);
    await expect(after.sign(Buffer.from('no'))).rejects.toThrowWithCode(KeyError, 'KEY_UNSUPPORTED'); // CKR_KEY_FUNCTION_NOT_PERMITTED
    await after.close?.();
  });

  it('archive relabels the private key; destroy removes it (a repeat is alreadyApplied); an unknown key is KEY_NOT_FOUND', async () => {
    const a = tokenWithKey();
    expect(await disableKey(hsm(a.token), a.keyId, 'archive')).toMatchObject({ alreadyApplied: false });
    expect(await disableKey(hsm(a.token), a.keyId, 'archive')).toMatchObject({ alreadyApplied: true });
    expect(await canSign(hsm(a.token), a.keyId)).toBe(false);
    const d = tokenWithKey();
    expect(await disableKey(hsm(d.token), d.keyId, 'destroy')).toMatchObject({ alreadyApplied: false });
    expect(await disableKey(hsm(d.token), d.keyId, 'destroy')).toMatchObject({ alreadyApplied: true });
    expect(await canSign(hsm(d.token), d.keyId)).toBe(false);
    await expect(disableKey(hsm(d.token), 'cd'.repeat(32), 'disable')).rejects.toThrowWithCode(KeyError, 'KEY_NOT_FOUND');
  });

  it('generate: a new P-256 key in the token that signs; the same seed returns the same key without a second one', async () => {
    const { token } = tokenWithKey();
    const k1 = await generateKey(hsm(token), 'run-1\0rotate', 'signing-run-1', 'ecdsa-p256-sha256');
    const k2 = await generateKey(hsm(token), 'run-1\0rotate', 'signing-run-1', 'ecdsa-p256-sha256');
    expect(k1.alreadyApplied).toBe(false);
    expect(k2).toMatchObject({ alreadyApplied: true, keyId: k1.keyId });
    // Opening by label fails with KEY_NOT_FOUND when more than one object carries it: one key, not two.
    const signer = await keys.open(keyRefSchema.parse({ pkcs11: { uri: keyUri(token, 'signing-run-1'), module: token.module, pin: new Secret(token.pin) } }));
    const sig = await signer.sign(Buffer.from('hello'));
    expect(verify('sha256', Buffer.from('hello'), signer.publicKey, sig)).toBe(true);
    expect(signer.keyId).toBe(k1.keyId);
    await signer.close?.();
  });
});
