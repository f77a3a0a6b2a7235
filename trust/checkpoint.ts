import { ecdsaNoteVerifier, ed25519NoteVerifier, openCheckpoint, parseNote, TlogError, type Checkpoint, type NoteVerifier } from '../core/tlog/index.js';
import type { LogKey } from './log-keys.js';

/**
 * Checkpoint (C2SP tlog-checkpoint in a C2SP signed note) verification with transparency-log
 * keys: those of a trusted root (`logKeys(root)`) or one from config (`logKeyFromPem`). Parsing
 * and the signature rules are core/tlog's, and so are the error codes (TlogError): one set for one
 * concept, whoever verifies.
 */
export interface CheckpointVerification {
  checkpoint: Checkpoint;
  /** The signed note, verbatim (what events carry as evidence). */
  note: string;
  /** The log key whose signature verified (the first, when several did). */
  verifiedBy: LogKey;
}

export interface VerifyCheckpointOptions {
  /** Expected origin line; any other origin is CHECKPOINT_ORIGIN_MISMATCH. */
  origin?: string | undefined;
}

/**
 * Succeeds when one of `keys` signed the checkpoint. Which signature lines a key may claim:
 * - a key from a trusted root (with a base URL) only lines named after that URL's host, as the
 *   logs sign (Rekor v1 "rekor.sigstore.dev", Rekor v2 "log2025-1.rekor.sigstore.dev");
 * - a key from config (no base URL) any line: the config does not know the name the log signs
 *   as, so only the key decides.
 * Lines from unknown keys (witness cosignatures, other logs) are ignored as the signed-note spec
 * asks; a known key whose signature fails rejects the note.
 *
 * Throws TlogError: NOTE_MALFORMED / NOTE_NO_SIGNATURE / CHECKPOINT_MALFORMED (syntax, checked
 * first), CHECKPOINT_ORIGIN_MISMATCH, NOTE_SIGNATURE_INVALID, NOTE_UNKNOWN_KEY (no known key
 * signed), or KEY_UNSUPPORTED when none of the keys can verify signed notes at all (RSA, P-384:
 * only Ed25519 and ECDSA P-256 notes exist today).
 */
export function verifyCheckpoint(note: string, keys: LogKey | readonly LogKey[], opts: VerifyCheckpointOptions = {}): CheckpointVerification {
  const list: readonly LogKey[] = Array.isArray(keys) ? keys : [keys as LogKey];
  const names = [...new Set(parseNote(note).signatures.map((s) => s.name))];
  const { verifiers, unsupported } = noteVerifiers(list, names);
  try {
    const opened = openCheckpoint(note, [...verifiers.keys()], opts.origin !== undefined ? { origin: opts.origin } : {});
    return { checkpoint: opened.checkpoint, note, verifiedBy: verifiers.get(opened.verifiedBy[0]!)! };
  } catch (err) {
    if (err instanceof TlogError && err.code === 'NOTE_UNKNOWN_KEY' && verifiers.size === 0 && unsupported !== undefined) throw unsupported;
    throw err;
  }
}

/**
 * One note verifier per key and signature-line name the key may claim. Keys core/tlog has no
 * note verifier for are left out rather than failing the whole set: they simply match no
 * signature (the first such failure is kept to explain a set where no key was usable).
 */
function noteVerifiers(keys: readonly LogKey[], names: readonly string[]): { verifiers: Map<NoteVerifier, LogKey>; unsupported: TlogError | undefined } {
  const verifiers = new Map<NoteVerifier, LogKey>();
  let unsupported: TlogError | undefined;
  for (const key of keys) {
    const claims = key.baseUrl === undefined ? names : hostOf(key.baseUrl);
    for (const name of claims) {
      try {
        verifiers.set(noteVerifier(key, name), key);
      } catch (err) {
        if (!(err instanceof TlogError)) throw err;
        if (err.code === 'KEY_UNSUPPORTED') unsupported ??= err;
        // KEY_MALFORMED here is a name core refuses: no signature line can carry it
      }
    }
  }
  return { verifiers, unsupported };
}

function noteVerifier(key: LogKey, name: string): NoteVerifier {
  switch (key.algorithm) {
    case 'ed25519':
      return ed25519NoteVerifier(name, key.key);
    case 'ecdsa-p256':
      return ecdsaNoteVerifier(name, key.key);
    case 'ecdsa-p384':
    case 'ecdsa-p521':
    case 'rsa':
      throw new TlogError('KEY_UNSUPPORTED', `no signed-note verifier for ${key.algorithm} keys`);
    default: {
      const never: never = key.algorithm;
      throw new TlogError('KEY_UNSUPPORTED', `unhandled key algorithm ${String(never)}`);
    }
  }
}

/** The signed-note key name of a root's log: its base URL's host; a scheme-less URL names nothing. */
function hostOf(baseUrl: string): string[] {
  try {
    return [new URL(baseUrl).host];
  } catch {
    return [];
  }
}
