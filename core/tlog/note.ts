import { TlogError } from './errors.js';

/**
 * C2SP signed-note (https://c2sp.org/signed-note) parsing and formatting. Parsing is strict:
 * anything a conforming signer would not produce is NOTE_MALFORMED, because lenient parsing of
 * signed data is how two parties come to disagree about what was signed.
 *
 *   <text, one or more lines, each ending in \n>
 *   \n
 *   — <key name> <base64(4-byte key ID || signature)>\n   (one or more)
 */
export interface NoteSignature {
  /** Key name: non-empty, no Unicode spaces, no '+'. */
  name: string;
  /** The 4-byte key ID (key hint) that opens the decoded signature. */
  keyHash: Buffer;
  /** Signature bytes after the key ID (at least 1 byte). */
  sig: Buffer;
}

export interface Note {
  /** Signed text, including its final newline (but not the separating blank line). */
  text: string;
  signatures: NoteSignature[];
}

/** Notes beyond this are refused outright; real checkpoints are a few hundred bytes. */
export const MAX_NOTE_BYTES = 1 << 20;
/** The spec requires accepting at least 16 signatures; leave room for large witness sets. */
export const MAX_NOTE_SIGNATURES = 100;

const SIG_PREFIX = '\u2014 ';
const KEY_HASH_SIZE = 4;
// Control characters other than \n are forbidden anywhere (this also rejects CR and tabs).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNICODE_SPACE = /[\s\u0085\u180e\u200b]/u;

function malformed(message: string, cause?: unknown): TlogError {
  return new TlogError('NOTE_MALFORMED', message, cause);
}

/** Standard base64 with padding, and canonical (no stray bits), or undefined. */
export function strictBase64(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? b : undefined;
}

/** Key names: non-empty, no Unicode spaces and no '+' (the vkey separator). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !UNICODE_SPACE.test(name) && !name.includes('+');
}

/** Decodes bytes as UTF-8, refusing invalid sequences (a note is UTF-8 by definition). */
function decodeUtf8(input: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch (err) {
    throw malformed('note is not valid UTF-8', err);
  }
}

/**
 * Parses a signed note. Throws NOTE_MALFORMED for any syntax violation and NOTE_NO_SIGNATURE
 * when the signature block is empty. Does not verify anything: see verifyNote().
 */
export function parseNote(input: string | Uint8Array): Note {
  if (input.length > MAX_NOTE_BYTES) throw malformed(`note exceeds ${MAX_NOTE_BYTES} bytes`);
  const s = typeof input === 'string' ? input : decodeUtf8(input);
  if (LONE_SURROGATE.test(s)) throw malformed('note contains unpaired surrogates (not UTF-8 encodable)');
  if (FORBIDDEN_CONTROL.test(s)) throw malformed('note contains a control character other than newline');

  // The text is separated from the signatures by the *last* blank line.
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line separates the text from the signatures');
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (text === '\n') throw malformed('note text is empty');
  if (block.length === 0) throw new TlogError('NOTE_NO_SIGNATURE', 'note carries no signature lines');
  if (!block.endsWith('\n')) throw malformed('signature block does not end in a newline');

  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

function parseSignatureLine(line: string, i: number): NoteSignature {
  if (!line.startsWith(SIG_PREFIX)) throw malformed(`signature line ${i + 1} does not start with an em dash and a space`);
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw malformed(`signature line ${i + 1} has no space between key name and signature`);
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw malformed(`signature line ${i + 1} has an invalid key name`);
  const raw = strictBase64(rest.slice(space + 1));
  if (raw === undefined) throw malformed(`signature line ${i + 1} is not canonical base64`);
  if (raw.length <= KEY_HASH_SIZE) throw malformed(`signature line ${i + 1} is too short for a key ID and a signature`);
  return { name, keyHash: raw.subarray(0, KEY_HASH_SIZE), sig: raw.subarray(KEY_HASH_SIZE) };
}

/** Serialises a note; the inverse of parseNote() for well-formed input. */
export function formatNote(note: Note): string {
  if (!note.text.endsWith('\n') || note.text === '\n') throw malformed('note text must be non-empty and end in a newline');
  const sigs = note.signatures.map((s) => {
    if (!isValidKeyName(s.name)) throw malformed('invalid key name');
    if (s.keyHash.length !== KEY_HASH_SIZE || s.sig.length === 0) throw malformed('invalid signature');
    return `${SIG_PREFIX}${s.name} ${Buffer.concat([s.keyHash, s.sig]).toString('base64')}\n`;
  });
  if (sigs.length === 0) throw new TlogError('NOTE_NO_SIGNATURE', 'a note needs at least one signature');
  return `${note.text}\n${sigs.join('')}`;
}
