import { TlogError } from './errors.js';
import { HASH_SIZE } from './hash.js';
import type { NoteVerifier } from './keys.js';
import { parseNote, strictBase64 } from './note.js';
import { verifyNote, type VerifiedNote, type VerifyNoteOptions } from './signed.js';

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the body of a signed note.
 *
 *   <origin>\n            non-empty; identifies the log
 *   <size>\n              ASCII decimal, no sign, no leading zeros
 *   <base64 root hash>\n  32 bytes
 *   [<extension>\n]...    optional, non-empty (Rekor v1 writes "Timestamp: <ns>")
 */
export interface Checkpoint {
  origin: string;
  /** Tree size; checkpoints beyond 2^53-1 are refused rather than rounded. */
  size: number;
  rootHash: Buffer;
  extensions: string[];
}

function malformed(message: string): TlogError {
  return new TlogError('CHECKPOINT_MALFORMED', message);
}

/** Parses checkpoint text (the note's text, ending in a newline). Throws CHECKPOINT_MALFORMED. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw malformed('checkpoint text must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed('checkpoint needs origin, size and root hash lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0 || origin.trim() !== origin) throw malformed('origin line is empty or padded');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) throw malformed('size is not a canonical decimal');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw malformed('size exceeds 2^53-1');
  const rootHash = strictBase64(rootLine);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) throw malformed('root hash is not base64 of 32 bytes');
  if (extensions.some((e) => e.length === 0)) throw malformed('extension lines must be non-empty');
  return { origin, size, rootHash, extensions };
}

/** Serialises a checkpoint body (to be signed with signNote). */
export function formatCheckpoint(c: Checkpoint): string {
  const text = [c.origin, String(c.size), c.rootHash.toString('base64'), ...c.extensions].join('\n') + '\n';
  parseCheckpoint(text); // refuse to emit anything we would not accept
  return text;
}

export interface OpenCheckpointOptions extends VerifyNoteOptions {
  /** Expected origin: exact string, or a predicate (Rekor v1 origins end in " - <treeID>"). */
  origin?: string | ((origin: string) => boolean);
}

export interface VerifiedCheckpoint extends VerifiedNote {
  checkpoint: Checkpoint;
}

/**
 * Parses a signed checkpoint, checks its syntax and origin, then verifies its signatures.
 * Syntax goes first so a malformed body reports CHECKPOINT_MALFORMED; nothing from the body is
 * returned unless the signatures verified.
 */
export function openCheckpoint(envelope: string | Uint8Array, verifiers: readonly NoteVerifier[], opts: OpenCheckpointOptions = {}): VerifiedCheckpoint {
  const { verifyNoteOpts, origin } = splitOpts(opts);
  const parsed = parseNote(envelope);
  const checkpoint = parseCheckpoint(parsed.text);
  if (origin !== undefined) {
    const ok = typeof origin === 'string' ? origin === checkpoint.origin : origin(checkpoint.origin);
    if (!ok) throw new TlogError('CHECKPOINT_ORIGIN_MISMATCH', 'checkpoint origin is not the expected log');
  }
  return { ...verifyNote(parsed, verifiers, verifyNoteOpts), checkpoint };
}

function splitOpts(opts: OpenCheckpointOptions): { verifyNoteOpts: VerifyNoteOptions; origin: OpenCheckpointOptions['origin'] } {
  const { origin, ...verifyNoteOpts } = opts;
  return { verifyNoteOpts, origin };
}
