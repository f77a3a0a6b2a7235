import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { TlogError, noteVerifierForTrustedRootTlog, openCheckpoint, type NoteVerifier, type TlogErrorCode } from '../core/tlog/index.js';
import { CheckpointError } from './errors.js';
import { logKeys, type LogKey } from './log-keys.js';

/**
 * Checkpoint (C2SP tlog-checkpoint signed note) verification against the transparency-log keys of
 * a trusted root. The note and signature rules live in core/tlog; this file only maps a root's
 * logs to note verifiers and tlog errors to CheckpointError codes.
 */
export interface VerifiedCheckpoint {
  origin: string;
  /** Tree size (core/tlog refuses sizes beyond 2^53-1 rather than rounding). */
  size: number;
  rootHash: Buffer;
  /** Extension lines after the root hash (opaque). */
  extensions: string[];
  /** The log key whose signature verified (the first, when several did). */
  verifiedBy: LogKey;
}

/**
 * Succeeds when a log key of the root, matched by key name (the base URL's host) and key ID,
 * signed the checkpoint. Signature lines from unknown keys (witness cosignatures, other logs)
 * are ignored as the signed-note spec asks; a known key whose signature fails rejects the note.
 */
export function verifyCheckpoint(note: string, root: TrustedRoot): VerifiedCheckpoint {
  const verifiers = verifiersOf(root);
  try {
    const opened = openCheckpoint(note, [...verifiers.keys()]);
    const { origin, size, rootHash, extensions } = opened.checkpoint;
    return { origin, size, rootHash: Buffer.from(rootHash), extensions: [...extensions], verifiedBy: verifiers.get(opened.verifiedBy[0]!)! };
  } catch (err) {
    if (!(err instanceof TlogError)) throw err;
    throw new CheckpointError(MALFORMED.has(err.code) ? 'CHECKPOINT_MALFORMED' : 'CHECKPOINT_UNVERIFIED', `checkpoint: ${err.message}`, err);
  }
}

const MALFORMED = new Set<TlogErrorCode>(['NOTE_MALFORMED', 'NOTE_NO_SIGNATURE', 'CHECKPOINT_MALFORMED']);

/**
 * One note verifier per log key. Keys core/tlog cannot verify notes with (RSA logs, scheme-less
 * base URLs) are left out rather than failing the whole root: they simply match no signature.
 */
function verifiersOf(root: TrustedRoot): Map<NoteVerifier, LogKey> {
  const out = new Map<NoteVerifier, LogKey>();
  for (const key of logKeys(root)) {
    try {
      const verifier = noteVerifierForTrustedRootTlog({
        baseUrl: key.baseUrl,
        publicKey: { rawBytes: key.publicKeyDer.toString('base64'), keyDetails: key.keyDetails },
      });
      out.set(verifier, key);
    } catch (err) {
      if (!(err instanceof TlogError)) throw err;
    }
  }
  return out;
}
