import { createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TlogError } from './errors.js';
import { ed25519AsyncNoteSigner, ed25519NoteSigner, ed25519NoteVerifier } from './keys.js';
import { signNote, signNoteAsync, verifyNote } from './signed.js';

const TEXT = 'chainwatch.audit/unit\n42\nq6uRSkmcSHxSSZOqzD4qlJPhRMC8OSNUvL5C5SvVBTs=\n';

describe('asynchronous note signing (keys behind the Signer port)', () => {
  it('produces exactly the note the synchronous path produces for the same Ed25519 key', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const external = ed25519AsyncNoteSigner('chainwatch.audit/unit', createPublicKey(privateKey), async (m) => cryptoSign(null, m, privateKey));
    const sync = ed25519NoteSigner('chainwatch.audit/unit', privateKey);
    expect(external.keyHash).toEqual(sync.keyHash);
    const note = await signNoteAsync(TEXT, [external]);
    expect(note).toBe(signNote(TEXT, [sync]));
    expect(verifyNote(note, [ed25519NoteVerifier('chainwatch.audit/unit', privateKey)]).verifiedBy).toHaveLength(1);
  });

  it('mixes synchronous and asynchronous signers, in order', async () => {
    const a = generateKeyPairSync('ed25519').privateKey;
    const b = generateKeyPairSync('ed25519').privateKey;
    const note = await signNoteAsync(TEXT, [ed25519NoteSigner('a.example', a), ed25519AsyncNoteSigner('b.example', b, async (m) => cryptoSign(null, m, b))]);
    const v = verifyNote(note, [ed25519NoteVerifier('a.example', a), ed25519NoteVerifier('b.example', b)], { requireAll: true });
    expect(v.verifiedBy.map((x) => x.name)).toEqual(['a.example', 'b.example']);
  });

  it('refuses a signature that does not verify with the public key it was built with (a swapped key)', async () => {
    const published = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519').privateKey;
    const s = ed25519AsyncNoteSigner('chainwatch.audit/unit', published.publicKey, async (m) => cryptoSign(null, m, other));
    const err = await signNoteAsync(TEXT, [s]).then(
      () => expect.unreachable('a mismatched signature must be refused'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TlogError);
    expect((err as TlogError).code).toBe('NOTE_SIGNATURE_INVALID');
  });

  it('needs at least one signer, like signNote', async () => {
    const err = await signNoteAsync(TEXT, []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlogError);
    expect((err as TlogError).code).toBe('NOTE_NO_SIGNATURE');
  });
});
