import type { KeyObject } from 'node:crypto';
import { TlogError } from './errors.js';
import { type AsyncNoteSigner, ecdsaNoteSigner, ed25519NoteSigner, type NoteSigner, type NoteVerifier } from './keys.js';
import { formatNote, parseNote, type Note, type NoteSignature } from './note.js';

/**
 * Verifying and producing signed notes. The rules follow c2sp.org/signed-note §Signatures:
 * a signature is attributed to a verifier only when *both* key name and key ID match; other
 * signatures (e.g. witnesses we do not know) are ignored; a known key whose signature fails
 * rejects the whole note; at least one known signature must verify.
 */
export interface VerifyNoteOptions {
  /** Every supplied verifier must have a valid signature on the note. */
  requireAll?: boolean;
  /** At least this many distinct verifiers must have a valid signature (default 1). */
  quorum?: number;
}

export interface VerifiedNote {
  note: Note;
  /** The verifiers whose signatures verified, in the order of their signature lines. */
  verifiedBy: NoteVerifier[];
  /** Signature lines from keys not among the verifiers (ignored per spec). */
  unknown: NoteSignature[];
}

/**
 * Verifies a note (text or already parsed) against trusted verifiers. Throws TlogError:
 * NOTE_MALFORMED / NOTE_NO_SIGNATURE (parse), NOTE_SIGNATURE_INVALID (a known key's signature
 * fails), NOTE_UNKNOWN_KEY (no signature from any known key), NOTE_QUORUM_NOT_MET.
 */
export function verifyNote(input: string | Uint8Array | Note, verifiers: readonly NoteVerifier[], opts: VerifyNoteOptions = {}): VerifiedNote {
  const note = typeof input === 'string' || input instanceof Uint8Array ? parseNote(input) : input;
  const msg = Buffer.from(note.text, 'utf8');
  const verifiedBy: NoteVerifier[] = [];
  const unknown: NoteSignature[] = [];

  for (const s of note.signatures) {
    const candidates = verifiers.filter((v) => v.name === s.name && v.keyHash.equals(s.keyHash));
    if (candidates.length === 0) {
      unknown.push(s);
      continue;
    }
    // Two configured keys can collide on name and ID; the signature counts for whichever verifies.
    const ok = candidates.find((v) => v.verify(msg, s.sig));
    if (!ok) throw new TlogError('NOTE_SIGNATURE_INVALID', `signature by ${s.name} does not verify`);
    if (!verifiedBy.includes(ok)) verifiedBy.push(ok);
  }

  if (verifiedBy.length === 0) throw new TlogError('NOTE_UNKNOWN_KEY', 'no signature from a known key');
  const quorum = opts.requireAll ? verifiers.length : (opts.quorum ?? 1);
  if (verifiedBy.length < quorum) {
    throw new TlogError('NOTE_QUORUM_NOT_MET', `${verifiedBy.length} of the required ${quorum} signatures verified`);
  }
  return { note, verifiedBy, unknown };
}

/** Signs `text` (which must end in a newline) with every signer, returning the note text. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  return addSignatures({ text, signatures: [] }, signers);
}

/**
 * signNote() for signers that may be asynchronous (AsyncNoteSigner: a key behind the Signer port,
 * an HSM). Same output as signNote() for the same keys: Ed25519 signatures are deterministic.
 */
export async function signNoteAsync(text: string, signers: readonly (NoteSigner | AsyncNoteSigner)[]): Promise<string> {
  const msg = Buffer.from(text, 'utf8');
  const signatures = [];
  // One at a time, in order: a token serves one operation per session anyway.
  for (const s of signers) signatures.push({ name: s.name, keyHash: s.keyHash, sig: await s.sign(msg) });
  return formatNote({ text, signatures });
}

/**
 * Adds signatures (e.g. a witness cosignature) to a note, keeping the existing ones. Returns
 * the serialised note. Does not verify the existing signatures.
 */
export function addSignatures(note: Note | string, signers: readonly NoteSigner[]): string {
  const n = typeof note === 'string' ? parseNote(note) : note;
  const msg = Buffer.from(n.text, 'utf8');
  const added = signers.map((s) => ({ name: s.name, keyHash: s.keyHash, sig: s.sign(msg) }));
  return formatNote({ text: n.text, signatures: [...n.signatures, ...added] });
}

/** Convenience: sign with one Ed25519 private key (type 0x01 key ID). */
export function signNoteEd25519(text: string, name: string, privateKey: KeyObject): string {
  return signNote(text, [ed25519NoteSigner(name, privateKey)]);
}

/** Convenience: sign with one ECDSA P-256 private key as Rekor v1 does (SPKI key hint, DER sig). */
export function signNoteEcdsa(text: string, name: string, privateKey: KeyObject): string {
  return signNote(text, [ecdsaNoteSigner(name, privateKey)]);
}
