import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { openCheckpoint } from '../../core/tlog/checkpoint.js';
import { TlogError, type TlogErrorCode } from '../../core/tlog/errors.js';
import { ecdsaNoteVerifier, ed25519NoteVerifier, type NoteVerifier } from '../../core/tlog/keys.js';
import { parseNote } from '../../core/tlog/note.js';
import { RekorError, type RekorErrorCode } from './errors.js';

/**
 * Checkpoints (C2SP tlog-checkpoint inside a C2SP signed-note), as served by Rekor v1
 * (`signedTreeHead`, `inclusionProof.checkpoint`) and by tile logs (`/checkpoint`):
 *
 *   <origin>\n<size>\n<base64 root hash>\n[extension lines]\n\n— <name> <base64(keyhint[4] || sig)>\n…
 *
 * Parsing and signature checks are core/tlog's (strict C2SP); this module adapts them to a log key
 * given as PEM and to the collector's error codes.
 */
export interface Checkpoint {
  origin: string;
  size: number;
  /** Base64, as in the note. */
  rootHash: string;
  root: Buffer;
  /** The signed note, verbatim. */
  note: string;
}

export interface LogKey {
  key: KeyObject;
  /** SHA-256(SPKI DER), hex: the Rekor v1 logID. */
  logId: string;
  spkiHint: Buffer;
  ed25519: boolean;
}

export function loadLogKey(pem: string): LogKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new RekorError('REKOR_KEY_INVALID', 'log public key is not a PEM SPKI key', err);
  }
  const spki = key.export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(spki).digest();
  return { key, logId: digest.toString('hex'), spkiHint: digest.subarray(0, 4), ed25519: key.asymmetricKeyType === 'ed25519' };
}

/**
 * Parses and verifies a checkpoint with the log key, through core/tlog (parseNote + openCheckpoint).
 * The note key name is whatever the log signs as (Rekor v1: its hostname), which the config does
 * not know: a verifier is built for each signature line's name with the configured key, so only
 * the key decides. Core's TlogErrors are translated to REKOR_CHECKPOINT_MALFORMED,
 * REKOR_CHECKPOINT_SIGNATURE_INVALID or REKOR_CHECKPOINT_ORIGIN_MISMATCH (cause kept).
 */
export function verifyCheckpoint(note: string, key: LogKey, expectedOrigin?: string): Checkpoint {
  try {
    const names = [...new Set(parseNote(note).signatures.map((s) => s.name))];
    const verifiers: NoteVerifier[] = [];
    for (const name of names) {
      try {
        verifiers.push(key.ed25519 ? ed25519NoteVerifier(name, key.key) : ecdsaNoteVerifier(name, key.key));
      } catch {
        // a name core refuses cannot be ours
      }
    }
    const opened = openCheckpoint(note, verifiers, expectedOrigin !== undefined ? { origin: expectedOrigin } : {});
    const cp = opened.checkpoint;
    return { origin: cp.origin, size: cp.size, rootHash: cp.rootHash.toString('base64'), root: cp.rootHash, note };
  } catch (err) {
    if (!(err instanceof TlogError)) throw err;
    throw new RekorError(CODE[err.code] ?? 'REKOR_CHECKPOINT_MALFORMED', err.message.slice(0, 300), err);
  }
}

const CODE: Partial<Record<TlogErrorCode, RekorErrorCode>> = {
  NOTE_UNKNOWN_KEY: 'REKOR_CHECKPOINT_SIGNATURE_INVALID',
  NOTE_SIGNATURE_INVALID: 'REKOR_CHECKPOINT_SIGNATURE_INVALID',
  NOTE_QUORUM_NOT_MET: 'REKOR_CHECKPOINT_SIGNATURE_INVALID',
  CHECKPOINT_ORIGIN_MISMATCH: 'REKOR_CHECKPOINT_ORIGIN_MISMATCH',
  KEY_MALFORMED: 'REKOR_KEY_INVALID',
  KEY_UNSUPPORTED: 'REKOR_KEY_INVALID',
};
