import { createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { TlogError } from './errors.js';
import { sha256Digest } from './hash.js';
import { isValidKeyName, strictBase64 } from './note.js';

/**
 * Note verifiers and signers for the key types transparency logs use:
 * - ed25519 (C2SP signed-note type 0x01): key ID = SHA-256(name || 0x0A || 0x01 || raw key)[:4].
 *   Rekor v2 (log20xx.rekor.sigstore.dev) and most tlog-tiles logs.
 * - ecdsa (type 0x02, and what Rekor v1 has always written): key ID = SHA-256(SPKI DER)[:4],
 *   signature = ASN.1 DER ECDSA over SHA-256 of the note text. P-256 only.
 * - cosignature/v1 (type 0x04, c2sp.org/tlog-cosignature): a witness's timestamped Ed25519
 *   signature over "cosignature/v1\ntime <t>\n" || note text.
 * - rfc6962 (type 0x05, c2sp.org/static-ct-api): a CT log's RFC 6962 tree-head signature carried in a
 *   checkpoint; key ID = SHA-256(name || 0x0A || 0x05 || log ID)[:4]. The verifier lives with the CT
 *   collector (it needs the TLS structures); only the type is named here.
 * Verifiers never throw on a bad signature: verify() returns false and verifyNote() decides.
 */
export type NoteKeyType = 'ed25519' | 'ecdsa' | 'cosignature-v1' | 'rfc6962';

export interface NoteVerifier {
  readonly name: string;
  /** 4-byte key ID that the key's signature lines start with. */
  readonly keyHash: Buffer;
  readonly type: NoteKeyType;
  verify(msg: Buffer, sig: Buffer): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyHash: Buffer;
  sign(msg: Buffer): Buffer;
}

/**
 * A note signer whose private key is not in this process (an HSM, a KMS, the Signer port):
 * signing is asynchronous. signNoteAsync() takes both kinds.
 */
export interface AsyncNoteSigner {
  readonly name: string;
  readonly keyHash: Buffer;
  sign(msg: Buffer): Promise<Buffer>;
}

const TYPE_BYTE: Record<NoteKeyType, number> = { ed25519: 0x01, ecdsa: 0x02, 'cosignature-v1': 0x04, rfc6962: 0x05 };
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function checkName(name: string): void {
  if (!isValidKeyName(name)) throw new TlogError('KEY_MALFORMED', 'key name must be non-empty without spaces or "+"');
}

/** SHA-256(name || 0x0A || type || key)[:4], the C2SP recommended key ID. */
export function c2spKeyHash(name: string, type: number, key: Uint8Array): Buffer {
  return sha256Digest(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([type]), key])).subarray(0, 4);
}

/** SHA-256(SPKI DER)[:4]: the key hint of ECDSA notes (Rekor v1, signed-note type 0x02). */
export function spkiKeyHash(spkiDer: Uint8Array): Buffer {
  return sha256Digest(spkiDer).subarray(0, 4);
}

type PublicKeyInput = Uint8Array | string | KeyObject;

function toKeyObject(input: PublicKeyInput, rawEd25519: boolean): KeyObject {
  try {
    if (typeof input === 'string') return createPublicKey(input); // PEM
    if (input instanceof Uint8Array) {
      if (rawEd25519 && input.length === 32) {
        return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, input]), format: 'der', type: 'spki' });
      }
      return createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
    }
    return input.type === 'private' ? createPublicKey(input) : input;
  } catch (err) {
    throw new TlogError('KEY_MALFORMED', 'public key could not be parsed', err);
  }
}

/** Raw 32-byte Ed25519 public key of a KeyObject (public or private). */
export function ed25519RawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') throw new TlogError('KEY_UNSUPPORTED', 'expected an Ed25519 key');
  return pub.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
}

function ed25519Key(publicKey: PublicKeyInput): { key: KeyObject; raw: Buffer } {
  const key = toKeyObject(publicKey, true);
  return { key, raw: ed25519RawPublicKey(key) };
}

function p256Key(publicKey: PublicKeyInput): { key: KeyObject; spki: Buffer } {
  const key = toKeyObject(publicKey, false);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TlogError('KEY_UNSUPPORTED', 'expected an ECDSA P-256 key');
  }
  return { key, spki: key.export({ format: 'der', type: 'spki' }) };
}

function safeVerify(alg: string | null, msg: Buffer, key: KeyObject, sig: Buffer): boolean {
  try {
    return cryptoVerify(alg, msg, key, sig);
  } catch {
    return false; // malformed signature encodings are just invalid signatures
  }
}

/** Verifier for Ed25519 notes; `publicKey` is the raw 32-byte key, SPKI DER, PEM or a KeyObject. */
export function ed25519NoteVerifier(name: string, publicKey: PublicKeyInput): NoteVerifier {
  checkName(name);
  const { key, raw } = ed25519Key(publicKey);
  return {
    name,
    keyHash: c2spKeyHash(name, TYPE_BYTE.ed25519, raw),
    type: 'ed25519',
    verify: (msg, sig) => sig.length === 64 && safeVerify(null, msg, key, sig),
  };
}

/** Verifier for ECDSA P-256 notes (Rekor v1 checkpoints, type 0x02); key is SPKI DER, PEM or KeyObject. */
export function ecdsaNoteVerifier(name: string, publicKey: PublicKeyInput): NoteVerifier {
  checkName(name);
  const { key, spki } = p256Key(publicKey);
  return { name, keyHash: spkiKeyHash(spki), type: 'ecdsa', verify: (msg, sig) => safeVerify('sha256', msg, key, sig) };
}

/** The message a cosignature/v1 signs: two header lines, then the whole note text. */
export function cosignatureV1Message(timestamp: bigint, text: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`cosignature/v1\ntime ${timestamp}\n`, 'utf8'), text]);
}

/** Verifier for a witness's timestamped Ed25519 cosignature (c2sp.org/tlog-cosignature). */
export function cosignatureV1Verifier(name: string, publicKey: PublicKeyInput): NoteVerifier {
  checkName(name);
  const { key, raw } = ed25519Key(publicKey);
  return {
    name,
    keyHash: c2spKeyHash(name, TYPE_BYTE['cosignature-v1'], raw),
    type: 'cosignature-v1',
    verify: (msg, sig) => {
      if (sig.length !== 8 + 64) return false;
      const ts = sig.readBigUInt64BE(0);
      if (ts >= 1n << 63n) return false;
      return safeVerify(null, cosignatureV1Message(ts, msg), key, sig.subarray(8));
    },
  };
}

/** Parses a C2SP verifier key "name+hash+base64(type || key)" and checks its embedded key ID. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  // Names and hex cannot contain '+', but base64 can: split on the first two only.
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
  if (!m) throw new TlogError('KEY_MALFORMED', 'verifier key must be name+hex8+base64');
  const [, name, hashHex, b64] = m as unknown as [string, string, string, string];
  const raw = strictBase64(b64);
  if (raw === undefined || raw.length < 2) throw new TlogError('KEY_MALFORMED', 'verifier key material is not base64');
  const type = raw[0]!;
  const key = raw.subarray(1);
  let v: NoteVerifier;
  switch (type) {
    case 0x01:
    case 0x04:
      if (key.length !== 32) throw new TlogError('KEY_MALFORMED', 'Ed25519 verifier key must be 32 bytes');
      v = type === 0x01 ? ed25519NoteVerifier(name, key) : cosignatureV1Verifier(name, key);
      break;
    case 0x02:
      v = ecdsaNoteVerifier(name, key);
      break;
    default:
      throw new TlogError('KEY_UNSUPPORTED', `verifier key type 0x${type.toString(16).padStart(2, '0')} is not supported`);
  }
  if (v.keyHash.toString('hex') !== hashHex) throw new TlogError('KEY_MALFORMED', 'verifier key ID does not match its key');
  return v;
}

/** Formats the vkey string for a verifier built by this module (for publishing one's own key). */
export function formatVerifierKey(name: string, type: NoteKeyType, publicKey: PublicKeyInput): string {
  if (type === 'rfc6962') throw new TlogError('KEY_UNSUPPORTED', 'rfc6962 verifier keys are not formatted here');
  const material = type === 'ecdsa' ? p256Key(publicKey).spki : ed25519Key(publicKey).raw;
  const hash = type === 'ecdsa' ? spkiKeyHash(material) : c2spKeyHash(name, TYPE_BYTE[type], material);
  checkName(name);
  return `${name}+${hash.toString('hex')}+${Buffer.concat([Buffer.from([TYPE_BYTE[type]]), material]).toString('base64')}`;
}

/** Signer for Ed25519 notes (type 0x01). */
export function ed25519NoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  checkName(name);
  const raw = ed25519RawPublicKey(privateKey);
  return { name, keyHash: c2spKeyHash(name, TYPE_BYTE.ed25519, raw), sign: (msg) => cryptoSign(null, msg, privateKey) };
}

/**
 * Ed25519 note signer (type 0x01) around an external signing function, given the key's public
 * half. Each signature is verified before it is returned: a signer that answers with another
 * key (a misconfigured token, a swapped file) must not produce notes nobody can verify.
 */
export function ed25519AsyncNoteSigner(name: string, publicKey: PublicKeyInput, sign: (msg: Buffer) => Promise<Uint8Array>): AsyncNoteSigner {
  return verifiedAsyncSigner(ed25519NoteVerifier(name, publicKey), sign);
}

/**
 * ECDSA P-256 note signer (type 0x02, DER signature over SHA-256) around an external signing
 * function (an HSM), verified like ed25519AsyncNoteSigner.
 */
export function ecdsaAsyncNoteSigner(name: string, publicKey: PublicKeyInput, sign: (msg: Buffer) => Promise<Uint8Array>): AsyncNoteSigner {
  return verifiedAsyncSigner(ecdsaNoteVerifier(name, publicKey), sign);
}

function verifiedAsyncSigner(verifier: NoteVerifier, sign: (msg: Buffer) => Promise<Uint8Array>): AsyncNoteSigner {
  return {
    name: verifier.name,
    keyHash: verifier.keyHash,
    sign: async (msg) => {
      const sig = Buffer.from(await sign(msg));
      if (!verifier.verify(msg, sig))
        throw new TlogError('NOTE_SIGNATURE_INVALID', `the signature made for ${verifier.name} does not verify with its public key`);
      return sig;
    },
  };
}

/** Signer for ECDSA P-256 notes in the Rekor v1 / type 0x02 form (DER signature, SHA-256). */
export function ecdsaNoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  checkName(name);
  const { spki } = p256Key(privateKey);
  return { name, keyHash: spkiKeyHash(spki), sign: (msg) => cryptoSign('sha256', msg, privateKey) };
}

/** Signer for witness cosignatures; `now` returns POSIX seconds (injected for tests). */
export function cosignatureV1Signer(name: string, privateKey: KeyObject, now: () => number = () => Date.now() / 1000): NoteSigner {
  checkName(name);
  const raw = ed25519RawPublicKey(privateKey);
  return {
    name,
    keyHash: c2spKeyHash(name, TYPE_BYTE['cosignature-v1'], raw),
    sign: (msg) => {
      const ts = BigInt(Math.floor(now()));
      const out = Buffer.alloc(8);
      out.writeBigUInt64BE(ts);
      return Buffer.concat([out, cryptoSign(null, cosignatureV1Message(ts, msg), privateKey)]);
    },
  };
}

/**
 * cosignatureV1Signer() around an external Ed25519 signing function (a witness key behind the
 * Signer port, an HSM), given the key's public half. Verified before it is returned, like
 * ed25519AsyncNoteSigner.
 */
export function cosignatureV1AsyncSigner(
  name: string,
  publicKey: PublicKeyInput,
  sign: (msg: Buffer) => Promise<Uint8Array>,
  now: () => number = () => Date.now() / 1000,
): AsyncNoteSigner {
  const verifier = cosignatureV1Verifier(name, publicKey);
  return verifiedAsyncSigner(verifier, async (msg) => {
    const ts = BigInt(Math.floor(now()));
    const out = Buffer.alloc(8);
    out.writeBigUInt64BE(ts);
    return Buffer.concat([out, Buffer.from(await sign(cosignatureV1Message(ts, msg)))]);
  });
}
