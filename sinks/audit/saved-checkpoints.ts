import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../../core/index.js';
import { parseCheckpoint, parseNote } from '../../core/tlog/index.js';
import { AuditError } from './errors.js';

/**
 * Checkpoints an auditor kept outside the store (`audit verify --checkpoint PATH`). PATH is a file
 * or a directory of files (every regular file in it, sorted by name). A file holds one or more
 * signed notes one after the other (as `curl /audit/checkpoints/...` saves them), or JSON lines
 * whose `checkpoint` (a log line of the daemon) or `data.checkpoint` (a CloudEvent of
 * dev.chainwatch.audit.checkpoint.v1) is a note; other JSON lines are skipped.
 *
 * Only the syntax is checked here: a file that is not what it should be is the auditor's input
 * error (AUDIT_CHECKPOINT_FILE_INVALID, naming the file and the parse error), not a broken trail.
 * Signatures are verify's business.
 */
export interface SavedCheckpoint {
  file: string;
  note: string;
}

export function readSavedCheckpoints(paths: readonly string[]): SavedCheckpoint[] {
  return paths.flatMap((p) => filesOf(p).flatMap((f) => notesIn(f)));
}

function filesOf(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw invalid(path, `cannot read it: ${describeError(err).message}`, err);
  }
  if (!isDir) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(path, e.name))
    .sort();
}

function notesIn(file: string): SavedCheckpoint[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(file, `cannot read it: ${describeError(err).message}`, err);
  }
  const notes = text.trimStart().startsWith('{') ? fromJsonLines(file, text) : splitNotes(text);
  if (notes.length === 0) throw invalid(file, 'it holds no checkpoint');
  return notes.map((note, k) => {
    try {
      parseCheckpoint(parseNote(note).text);
    } catch (err) {
      const where = notes.length > 1 ? ` (checkpoint ${k + 1})` : '';
      throw invalid(file, `not a signed checkpoint${where}: ${describeError(err).code}: ${describeError(err).message}`, err);
    }
    return { file, note };
  });
}

function fromJsonLines(file: string, text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, n) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw invalid(file, `line ${n + 1} is not JSON`, err);
    }
    const o = v as { checkpoint?: unknown; data?: { checkpoint?: unknown } } | null;
    const note = o?.checkpoint ?? o?.data?.checkpoint;
    if (typeof note === 'string') out.push(note);
  });
  return out;
}

/** Signed notes back to back: text, a blank line, signature lines ("— ..."); the next note starts after them. */
function splitNotes(text: string): string[] {
  const notes: string[] = [];
  let cur: string[] = [];
  let state: 'text' | 'blank' | 'sigs' = 'text';
  for (const line of text.split('\n')) {
    if (state === 'sigs' && !line.startsWith('— ')) {
      notes.push(`${cur.join('\n')}\n`);
      cur = [];
      state = 'text';
    }
    if (state === 'text' && cur.length === 0 && line === '') continue;
    cur.push(line);
    if (line === '') state = state === 'text' ? 'blank' : 'text';
    else if (state === 'blank') state = line.startsWith('— ') ? 'sigs' : 'text';
  }
  // A last note without its final newline, or a fragment: parseNote says what is wrong with it.
  if (cur.length > 0) notes.push(state === 'sigs' ? `${cur.join('\n')}\n` : cur.join('\n'));
  return notes;
}

const invalid = (file: string, why: string, cause?: unknown): AuditError =>
  new AuditError('AUDIT_CHECKPOINT_FILE_INVALID', `${file}: ${why}`, cause === undefined ? {} : { cause });
