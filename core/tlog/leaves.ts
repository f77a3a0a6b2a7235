import { CompactRange } from './compact.js';
import { TlogError } from './errors.js';
import { toU64 } from './verify.js';

/**
 * What anchors a run of downloaded leaves [start, start + n) to a signed tree head of `size`:
 * - `prior`: the collector's own verified compact range of [0, start) (from its state), plus,
 *   when the run stops short of `size`, the subtree hashes of [end, size) ("right").
 * - `proof`: subtree hashes supplied by the log (e.g. read from tiles): "left" covers [0, start)
 *   and "right" covers [end, size), each in compact-range order (left to right).
 */
export type LeafRunAnchor =
  { kind: 'prior'; range: CompactRange; right?: readonly Uint8Array[] } | { kind: 'proof'; left: readonly Uint8Array[]; right: readonly Uint8Array[] };

/**
 * Verifies that `leafHashes` are leaves [startIndex, startIndex + n) of the tree of `size` leaves
 * whose root is `root`, as a full auditor does: rebuild the root from the leaves and the anchor.
 * Returns the now-verified compact range [0, startIndex + n); a collector persists it
 * (toJSON()) as its new verified position. The anchor's range is never modified.
 * Throws TlogError: TLOG_RANGE_NOT_ADJACENT, TLOG_INDEX_OUT_OF_RANGE, TLOG_RANGE_INVALID,
 * TLOG_BAD_HASH_SIZE, TLOG_ROOT_MISMATCH.
 */
export function verifyLeavesAgainstRoot(
  startIndex: number,
  leafHashes: readonly Uint8Array[],
  size: number,
  root: Uint8Array,
  anchor: LeafRunAnchor,
): CompactRange {
  toU64(startIndex, 'startIndex');
  toU64(size, 'size');
  const end = startIndex + leafHashes.length;
  if (end > size) throw new TlogError('TLOG_INDEX_OUT_OF_RANGE', `leaves run to ${end}, beyond tree size ${size}`);

  const prefix = anchorPrefix(anchor, startIndex);
  prefix.appendMany(leafHashes);
  const verified = prefix.clone();

  const right = anchor.right ?? [];
  if (end < size || right.length > 0) prefix.merge(CompactRange.fromHashes(end, size, right));
  if (!prefix.root().equals(root)) {
    throw new TlogError('TLOG_ROOT_MISMATCH', `leaves [${startIndex}, ${end}) do not reproduce the root of tree size ${size}`);
  }
  return verified;
}

function anchorPrefix(anchor: LeafRunAnchor, startIndex: number): CompactRange {
  switch (anchor.kind) {
    case 'prior':
      if (anchor.range.begin !== 0 || anchor.range.end !== startIndex) {
        throw new TlogError(
          'TLOG_RANGE_NOT_ADJACENT',
          `prior range [${anchor.range.begin}, ${anchor.range.end}) does not end where the leaves start (${startIndex})`,
        );
      }
      return anchor.range.clone();
    case 'proof':
      return CompactRange.fromHashes(0, startIndex, anchor.left);
    default: {
      const never: never = anchor;
      throw new TlogError('TLOG_RANGE_INVALID', `unknown anchor ${String((never as { kind: unknown }).kind)}`);
    }
  }
}
