import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint } from './checkpoint.js';
import { TlogError, type TlogErrorCode } from './errors.js';
import { leafHash } from './hash.js';
import {
  cosignatureV1Signer,
  cosignatureV1Verifier,
  ecdsaNoteSigner,
  ecdsaNoteVerifier,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519RawPublicKey,
  formatVerifierKey,
  parseVerifierKey,
} from './keys.js';
import { formatNote, MAX_NOTE_SIGNATURES, parseNote } from './note.js';
import { addSignatures, signNote, signNoteEcdsa, signNoteEd25519, verifyNote } from './signed.js';

const ed = generateKeyPairSync('ed25519');
const ed2 = generateKeyPairSync('ed25519');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const witness = generateKeyPairSync('ed25519');
const ROOT = leafHash(Buffer.from('root')).toString('base64');
const TEXT = `example.com/log\n42\n${ROOT}\n`;
const SIG = `\u2014 example.com/log ${Buffer.alloc(68, 7).toString('base64')}\n`;

describe('parseNote: malformed forms', () => {
  const cases: [string, string | Uint8Array, TlogErrorCode][] = [
    ['no blank line separator', `${TEXT}${SIG}`, 'NOTE_MALFORMED'],
    ['empty text', `\n\n${SIG}`, 'NOTE_MALFORMED'],
    ['text not ending in newline (no separator)', `abc\n${SIG}`, 'NOTE_MALFORMED'],
    ['no signatures', `${TEXT}\n`, 'NOTE_NO_SIGNATURE'],
    ['signature block without final newline', `${TEXT}\n${SIG.slice(0, -1)}`, 'NOTE_MALFORMED'],
    ['hyphen instead of em dash', `${TEXT}\n${SIG.replace('\u2014', '-')}`, 'NOTE_MALFORMED'],
    ['em dash without space', `${TEXT}\n${SIG.replace('\u2014 ', '\u2014')}`, 'NOTE_MALFORMED'],
    ['missing signature field', `${TEXT}\n\u2014 example.com/log\n`, 'NOTE_MALFORMED'],
    ['empty key name', `${TEXT}\n\u2014  ${Buffer.alloc(68).toString('base64')}\n`, 'NOTE_MALFORMED'],
    ['plus in key name', `${TEXT}\n\u2014 a+b ${Buffer.alloc(68).toString('base64')}\n`, 'NOTE_MALFORMED'],
    ['unicode space in key name', `${TEXT}\n\u2014 a\u00a0b ${Buffer.alloc(68).toString('base64')}\n`, 'NOTE_MALFORMED'],
    ['bad base64', `${TEXT}\n\u2014 example.com/log not*base64\n`, 'NOTE_MALFORMED'],
    ['unpadded base64', `${TEXT}\n\u2014 example.com/log ${Buffer.alloc(67).toString('base64').replace(/=+$/, '')}\n`, 'NOTE_MALFORMED'],
    ['base64url alphabet', `${TEXT}\n\u2014 example.com/log ${Buffer.alloc(68, 0xfb).toString('base64url')}\n`, 'NOTE_MALFORMED'],
    ['non-canonical base64 padding bits', `${TEXT}\n\u2014 example.com/log AAAAAB==\n`, 'NOTE_MALFORMED'],
    ['signature of only the 4-byte key ID', `${TEXT}\n\u2014 example.com/log ${Buffer.alloc(4).toString('base64')}\n`, 'NOTE_MALFORMED'],
    ['trailing space after signature', `${TEXT}\n${SIG.slice(0, -1)} \n`, 'NOTE_MALFORMED'],
    ['too many signatures', `${TEXT}\n${SIG.repeat(MAX_NOTE_SIGNATURES + 1)}`, 'NOTE_MALFORMED'],
    ['CR line endings', `${TEXT}\n${SIG}`.replaceAll('\n', '\r\n'), 'NOTE_MALFORMED'],
    ['CR inside the text', `example.com/log\r\n42\n${ROOT}\n\n${SIG}`, 'NOTE_MALFORMED'],
    ['tab', `example.com/log\t\n42\n${ROOT}\n\n${SIG}`, 'NOTE_MALFORMED'],
    ['NUL byte', `example.com/log\u0000\n42\n${ROOT}\n\n${SIG}`, 'NOTE_MALFORMED'],
    ['non-UTF-8 bytes', Buffer.concat([Buffer.from('ex\xff'.slice(0, 2)), Buffer.from([0xff, 0x0a]), Buffer.from(`\n${SIG}`)]), 'NOTE_MALFORMED'],
    ['unpaired surrogate', `ex\ud800\n\n${SIG}`, 'NOTE_MALFORMED'],
    ['blank line after the signatures', `${TEXT}\n${SIG}\n`, 'NOTE_NO_SIGNATURE'],
    ['oversized', `${'a'.repeat(1 << 20)}\n\n${SIG}`, 'NOTE_MALFORMED'],
  ];
  for (const [name, input, code] of cases) it(name, () => expect(() => parseNote(input)).toThrowWithCode(TlogError, code));

  it('accepts a well-formed note, bytes or string, and round-trips it', () => {
    const text = `${TEXT}\n${SIG}${SIG.replace('example.com/log', 'witness.example/w1')}`;
    const n = parseNote(Buffer.from(text));
    expect(n.text).toBe(TEXT);
    expect(n.signatures.map((s) => [s.name, s.keyHash.length, s.sig.length])).toEqual([
      ['example.com/log', 4, 64],
      ['witness.example/w1', 4, 64],
    ]);
    expect(formatNote(n)).toBe(text);
    // Text with inner blank lines: the *last* blank line is the separator.
    expect(parseNote(`a\n\nb\n\n${SIG}`).text).toBe('a\n\nb\n');
  });
});

describe('parseCheckpoint', () => {
  const bad: [string, string][] = [
    ['missing root', 'o\n1\n'],
    ['empty origin', `\n1\n${ROOT}\n`],
    ['padded origin', ` o\n1\n${ROOT}\n`],
    ['leading zero', `o\n01\n${ROOT}\n`],
    ['plus sign', `o\n+1\n${ROOT}\n`],
    ['minus sign', `o\n-1\n${ROOT}\n`],
    ['hex size', `o\n0x1\n${ROOT}\n`],
    ['size beyond 2^53', `o\n18446744073709551615\n${ROOT}\n`],
    ['short root', `o\n1\n${Buffer.alloc(31).toString('base64')}\n`],
    ['long root', `o\n1\n${Buffer.alloc(33).toString('base64')}\n`],
    ['root not base64', `o\n1\n${'!'.repeat(44)}\n`],
    ['empty extension line', `o\n1\n${ROOT}\n\nx\n`],
    ['no final newline', `o\n1\n${ROOT}`],
  ];
  for (const [name, text] of bad) it(`refuses ${name}`, () => expect(() => parseCheckpoint(text)).toThrowWithCode(TlogError, 'CHECKPOINT_MALFORMED'));

  it('parses origin, size, root and extensions, and formats back', () => {
    const c = parseCheckpoint(`rekor.sigstore.dev - 1\n0\n${ROOT}\nTimestamp: 1689177396617352539\n`);
    expect(c).toMatchObject({ origin: 'rekor.sigstore.dev - 1', size: 0, extensions: ['Timestamp: 1689177396617352539'] });
    expect(c.rootHash.toString('base64')).toBe(ROOT);
    expect(formatCheckpoint(c)).toBe(`rekor.sigstore.dev - 1\n0\n${ROOT}\nTimestamp: 1689177396617352539\n`);
    expect(parseCheckpoint(`o\n${Number.MAX_SAFE_INTEGER}\n${ROOT}\n`).size).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('signing and verifying notes', () => {
  const edV = ed25519NoteVerifier('example.com/log', ed25519RawPublicKey(ed.publicKey));
  const ecV = ecdsaNoteVerifier('rekor.example', ec.publicKey.export({ format: 'der', type: 'spki' }));
  const wV = cosignatureV1Verifier('witness.example/w1', witness.publicKey);

  it('Ed25519 and ECDSA round trips verify; the key IDs follow C2SP / Rekor', () => {
    const a = verifyNote(signNoteEd25519(TEXT, 'example.com/log', ed.privateKey), [edV]);
    expect(a.verifiedBy).toEqual([edV]);
    const b = verifyNote(signNoteEcdsa(TEXT, 'rekor.example', ec.privateKey), [ecV, edV]);
    expect(b.verifiedBy).toEqual([ecV]);
    expect(ecdsaNoteSigner('rekor.example', ec.privateKey).keyHash).toEqual(ecV.keyHash);
    expect(ed25519NoteSigner('example.com/log', ed.privateKey).keyHash).toEqual(edV.keyHash);
  });

  it('verifies witness cosignatures and enforces quorum / requireAll', () => {
    const signed = signNoteEd25519(TEXT, 'example.com/log', ed.privateKey);
    const cosigned = addSignatures(signed, [cosignatureV1Signer('witness.example/w1', witness.privateKey, () => 1_700_000_000)]);
    expect(verifyNote(cosigned, [edV, wV], { requireAll: true }).verifiedBy).toEqual([edV, wV]);
    expect(verifyNote(cosigned, [edV, wV], { quorum: 2 }).verifiedBy).toHaveLength(2);
    const other = cosignatureV1Verifier('witness.example/w2', ed2.publicKey);
    expect(() => verifyNote(cosigned, [edV, wV, other], { requireAll: true })).toThrowWithCode(TlogError, 'NOTE_QUORUM_NOT_MET');
    expect(() => verifyNote(signed, [edV, wV], { quorum: 2 })).toThrowWithCode(TlogError, 'NOTE_QUORUM_NOT_MET');
  });

  it('ignores unknown signatures but requires one known valid signature', () => {
    const signed = signNote(TEXT, [ed25519NoteSigner('someone.else', ed2.privateKey), ed25519NoteSigner('example.com/log', ed.privateKey)]);
    const r = verifyNote(signed, [edV]);
    expect(r.unknown.map((s) => s.name)).toEqual(['someone.else']);
    expect(() => verifyNote(signNoteEd25519(TEXT, 'someone.else', ed2.privateKey), [edV])).toThrowWithCode(TlogError, 'NOTE_UNKNOWN_KEY');
    // Same name, other key: the key ID differs, so the line is unknown rather than invalid.
    expect(() => verifyNote(signNoteEd25519(TEXT, 'example.com/log', ed2.privateKey), [edV])).toThrowWithCode(TlogError, 'NOTE_UNKNOWN_KEY');
  });

  it('rejects the whole note when a known key signature fails', () => {
    const signed = signNoteEd25519(TEXT, 'example.com/log', ed.privateKey);
    expect(() => verifyNote(signed.replace('\n42\n', '\n43\n'), [edV])).toThrowWithCode(TlogError, 'NOTE_SIGNATURE_INVALID');
    const n = parseNote(signed);
    const badSig = Buffer.from(n.signatures[0]!.sig);
    badSig[0]! ^= 1;
    expect(() => verifyNote({ text: n.text, signatures: [{ ...n.signatures[0]!, sig: badSig }] }, [edV])).toThrowWithCode(TlogError, 'NOTE_SIGNATURE_INVALID');
    // A good log signature does not excuse a bad one from another known key.
    const bad = addSignatures(signed, [{ ...ed25519NoteSigner('witness.example/x', ed2.privateKey), sign: () => Buffer.alloc(64) }]);
    expect(() => verifyNote(bad, [edV, ed25519NoteVerifier('witness.example/x', ed2.publicKey)])).toThrowWithCode(TlogError, 'NOTE_SIGNATURE_INVALID');
    // Garbage DER for an ECDSA key is an invalid signature, not a crash.
    const ecNote = `${TEXT}\n\u2014 rekor.example ${Buffer.concat([ecV.keyHash, Buffer.from([0x30, 0x01])]).toString('base64')}\n`;
    expect(() => verifyNote(ecNote, [ecV])).toThrowWithCode(TlogError, 'NOTE_SIGNATURE_INVALID');
  });

  it('opens a signed checkpoint and checks its origin', () => {
    const env = signNoteEd25519(TEXT, 'example.com/log', ed.privateKey);
    expect(openCheckpoint(env, [edV], { origin: 'example.com/log' }).checkpoint.size).toBe(42);
    expect(() => openCheckpoint(env, [edV], { origin: 'example.com/other' })).toThrowWithCode(TlogError, 'CHECKPOINT_ORIGIN_MISMATCH');
    expect(() => openCheckpoint(signNoteEd25519('not a checkpoint\n', 'example.com/log', ed.privateKey), [edV])).toThrowWithCode(
      TlogError,
      'CHECKPOINT_MALFORMED',
    );
  });
});

describe('verifier keys (vkey)', () => {
  it('round-trips Ed25519, ECDSA and cosignature vkeys', () => {
    for (const [type, key] of [
      ['ed25519', ed.publicKey],
      ['ecdsa', ec.publicKey],
      ['cosignature-v1', witness.publicKey],
    ] as const) {
      const vkey = formatVerifierKey('example.com/k', type, key);
      const v = parseVerifierKey(vkey);
      expect(v.type).toBe(type);
    }
    const v = parseVerifierKey(formatVerifierKey('example.com/log', 'ed25519', ed.publicKey));
    expect(verifyNote(signNoteEd25519(TEXT, 'example.com/log', ed.privateKey), [v]).verifiedBy).toEqual([v]);
  });

  it('refuses malformed vkeys', () => {
    const good = formatVerifierKey('example.com/log', 'ed25519', ed.publicKey);
    const [name, hash, b64] = good.split('+') as [string, string, string];
    expect(() => parseVerifierKey(`${name}+${hash}`)).toThrowWithCode(TlogError, 'KEY_MALFORMED');
    expect(() => parseVerifierKey(`${name}+00000000+${b64}`)).toThrowWithCode(TlogError, 'KEY_MALFORMED');
    expect(() => parseVerifierKey(`${name}+${hash}+${b64.slice(0, -4)}`)).toThrowWithCode(TlogError, 'KEY_MALFORMED');
    expect(() => parseVerifierKey(`${name}+${hash}+${Buffer.from([0x09, 1, 2]).toString('base64')}`)).toThrowWithCode(TlogError, 'KEY_UNSUPPORTED');
    expect(() => parseVerifierKey(`a b+${hash}+${b64}`)).toThrowWithCode(TlogError, 'KEY_MALFORMED');
    expect(() => ecdsaNoteVerifier('x', ed.publicKey)).toThrowWithCode(TlogError, 'KEY_UNSUPPORTED');
    expect(() => ecdsaNoteVerifier('x', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey)).toThrowWithCode(TlogError, 'KEY_UNSUPPORTED');
    expect(() => ed25519NoteVerifier('x', Buffer.alloc(5))).toThrowWithCode(TlogError, 'KEY_MALFORMED');
  });
});
