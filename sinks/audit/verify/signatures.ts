import { describeError } from '../../../core/index.js';
import type { Checkpoint, NoteVerifier } from '../../../core/tlog/index.js';
import { openAuditCheckpoint } from '../checkpoint.js';
import { fail } from './failure.js';

/** A verifier key with its validity range from the key history (key-history.ts); bare keys have none. */
export interface KeyRange {
  verifier: NoteVerifier;
  fromSize?: number;
  toSize?: number;
}

/**
 * Step 1: every checkpoint's signature (stored ones and the auditor's copies), and, given the key
 * history's ranges, that a key whose range covers its size signed it. Merged by size, ascending;
 * two different roots for one size is a split view.
 */
export function verifySignatures(
  stored: readonly string[],
  extra: readonly string[],
  verifier: NoteVerifier | readonly NoteVerifier[],
  ranges?: readonly KeyRange[],
): Checkpoint[] {
  const bySize = new Map<number, Checkpoint>();
  for (const note of [...stored, ...extra]) {
    let cp: Checkpoint;
    try {
      cp = openAuditCheckpoint(note, verifier);
    } catch (err) {
      const size = /\n(\d+)\n/.exec(note)?.[1];
      return fail({
        code: 'CHECKPOINT_SIGNATURE_INVALID',
        ...(size ? { checkpointSize: Number(size) } : {}),
        detail: `checkpoint does not verify: ${describeError(err).code}`,
      });
    }
    if (ranges) checkKeyRange(note, cp.size, ranges);
    const seen = bySize.get(cp.size);
    if (seen && !seen.rootHash.equals(cp.rootHash)) {
      fail({ code: 'CHECKPOINT_INCONSISTENT', checkpointSize: cp.size, detail: `two signed roots for tree size ${cp.size}` });
    }
    bySize.set(cp.size, cp);
  }
  return [...bySize.values()].sort((a, b) => a.size - b.size);
}

/** A checkpoint signed by a known key outside that key's range: signed by a retired (or not yet valid) key. */
function checkKeyRange(note: string, size: number, ranges: readonly KeyRange[]): void {
  const covering = ranges.filter((r) => (r.fromSize === undefined || size >= r.fromSize) && (r.toSize === undefined || size <= r.toSize));
  try {
    if (covering.length) {
      openAuditCheckpoint(
        note,
        covering.map((r) => r.verifier),
      );
      return;
    }
  } catch {
    // no covering key signed it: reported below
  }
  fail({
    code: 'CHECKPOINT_KEY_OUT_OF_RANGE',
    checkpointSize: size,
    detail: `checkpoint of size ${size} is signed by a key whose history range does not cover that size`,
  });
}
