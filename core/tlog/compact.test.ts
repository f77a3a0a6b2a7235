import { describe, expect, it } from 'vitest';
import { CompactRange, decompose } from './compact.js';
import { TlogError } from './errors.js';
import { HASH_SIZE, leafHash } from './hash.js';
import { verifyLeavesAgainstRoot } from './leaves.js';
import { mth } from './testing/naive-tree.js';

const leaves = Array.from({ length: 260 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

/** The hashes of compact range [b, e), built independently with the naive MTH. */
function naiveRange(b: number, e: number): Buffer[] {
  const out: Buffer[] = [];
  let pos = b;
  for (const level of decompose(b, e)) {
    out.push(mth(leaves.slice(pos, pos + 2 ** level)));
    pos += 2 ** level;
  }
  return out;
}

describe('decompose', () => {
  it('splits into maximal aligned subtrees', () => {
    expect(decompose(0, 0)).toEqual([]);
    expect(decompose(0, 7)).toEqual([2, 1, 0]);
    expect(decompose(3, 16)).toEqual([0, 2, 3]);
    expect(decompose(5, 6)).toEqual([0]);
    expect(decompose(0, Number.MAX_SAFE_INTEGER)).toHaveLength(53);
    expect(() => decompose(5, 4)).toThrowWithCode(TlogError, 'TLOG_RANGE_INVALID');
  });
});

describe('CompactRange', () => {
  it('root() equals the naive MTH for every size 0..260', () => {
    const cr = CompactRange.empty();
    expect(cr.root().equals(mth([]))).toBe(true);
    for (let n = 1; n <= leaves.length; n++) {
      cr.append(leaves[n - 1]!);
      expect(cr.root().equals(mth(leaves.slice(0, n))), `size ${n}`).toBe(true);
      expect(cr.hashes).toEqual(naiveRange(0, n));
    }
  });

  it('merges arbitrary adjacent ranges into the same result as appending', () => {
    for (const [a, b, c] of [
      [0, 5, 13],
      [0, 8, 8],
      [0, 1, 260],
      [3, 4, 100],
      [7, 64, 129],
      [100, 128, 256],
    ] as const) {
      const left = CompactRange.empty(a);
      left.appendMany(leaves.slice(a, b));
      const right = CompactRange.empty(b);
      right.appendMany(leaves.slice(b, c));
      left.merge(right);
      const whole = CompactRange.empty(a);
      whole.appendMany(leaves.slice(a, c));
      expect(left.equals(whole), `[${a},${b}) + [${b},${c})`).toBe(true);
      expect(left.hashes).toEqual(naiveRange(a, c));
    }
  });

  it('round-trips through JSON and refuses corrupt JSON', () => {
    const cr = CompactRange.empty();
    cr.appendMany(leaves.slice(0, 77));
    const back = CompactRange.fromJSON(JSON.parse(JSON.stringify(cr)));
    expect(back.equals(cr)).toBe(true);
    expect(back.root().equals(cr.root())).toBe(true);
    const j = cr.toJSON();
    expect(() => CompactRange.fromJSON({ ...j, hashes: j.hashes.slice(1) })).toThrowWithCode(TlogError, 'TLOG_RANGE_INVALID');
    expect(() => CompactRange.fromJSON({ ...j, end: 79 })).toThrowWithCode(TlogError, 'TLOG_RANGE_INVALID');
    expect(() => CompactRange.fromJSON({ ...j, hashes: ['zz', ...j.hashes.slice(1)] })).toThrowWithCode(TlogError, 'TLOG_RANGE_INVALID');
    expect(() => CompactRange.fromJSON(null)).toThrowWithCode(TlogError, 'TLOG_RANGE_INVALID');
    expect(() => CompactRange.fromJSON({ ...j, begin: -1 })).toThrowWithCode(TlogError, 'TLOG_SIZE_INVALID');
  });

  it('refuses misuse with precise codes', () => {
    const cr = CompactRange.empty(4);
    expect(() => cr.root()).toThrowWithCode(TlogError, 'TLOG_RANGE_INVALID');
    expect(() => cr.append(Buffer.alloc(31))).toThrowWithCode(TlogError, 'TLOG_BAD_HASH_SIZE');
    expect(() => cr.merge(CompactRange.empty(5))).toThrowWithCode(TlogError, 'TLOG_RANGE_NOT_ADJACENT');
    expect(() => CompactRange.fromHashes(0, 3, [Buffer.alloc(HASH_SIZE)])).toThrowWithCode(TlogError, 'TLOG_RANGE_INVALID');
  });

  it('handles a 2^53-1 leaf prefix (bookkeeping only)', () => {
    const hashes = Array.from({ length: 53 }, (_, i) => leafHash(Buffer.from([i])));
    const cr = CompactRange.fromHashes(0, Number.MAX_SAFE_INTEGER, hashes);
    expect(cr.root()).toHaveLength(HASH_SIZE);
    expect(() => cr.append(leaves[0]!)).toThrowWithCode(TlogError, 'TLOG_SIZE_INVALID');
  });
});

describe('verifyLeavesAgainstRoot', () => {
  const size = 200;
  const root = mth(leaves.slice(0, size));

  it('extends a persisted prior range to a new checkpoint, batch by batch', () => {
    let verified = CompactRange.empty();
    for (const [s, e] of [
      [0, 1],
      [1, 64],
      [64, 65],
      [65, 200],
    ] as const) {
      const sthSize = e; // the log published a checkpoint at exactly the end of each batch
      const sthRoot = mth(leaves.slice(0, sthSize));
      const persisted = JSON.parse(JSON.stringify(verified)) as unknown;
      verified = verifyLeavesAgainstRoot(s, leaves.slice(s, e), sthSize, sthRoot, { kind: 'prior', range: CompactRange.fromJSON(persisted) });
      expect(verified.end).toBe(e);
    }
    expect(verified.root().equals(root)).toBe(true);
  });

  it('verifies a run in the middle with log-supplied left and right hashes', () => {
    const r = verifyLeavesAgainstRoot(37, leaves.slice(37, 150), size, root, {
      kind: 'proof',
      left: naiveRange(0, 37),
      right: naiveRange(150, size),
    });
    expect(r.end).toBe(150);
    expect(r.root().equals(mth(leaves.slice(0, 150)))).toBe(true);
    // A prior range plus right-hand hashes works the same way.
    const prior = CompactRange.empty();
    prior.appendMany(leaves.slice(0, 37));
    verifyLeavesAgainstRoot(37, leaves.slice(37, 150), size, root, { kind: 'prior', range: prior, right: naiveRange(150, size) });
    expect(prior.end).toBe(37); // the anchor is never modified
  });

  it('detects a tampered, missing or reordered leaf', () => {
    const prior = CompactRange.empty();
    prior.appendMany(leaves.slice(0, 10));
    const run = leaves.slice(10, size);
    const tampered = run.map((l, i) => (i === 50 ? leafHash(Buffer.from('evil')) : l));
    expect(() => verifyLeavesAgainstRoot(10, tampered, size, root, { kind: 'prior', range: prior })).toThrowWithCode(TlogError, 'TLOG_ROOT_MISMATCH');
    const swapped = [run[1]!, run[0]!, ...run.slice(2)];
    expect(() => verifyLeavesAgainstRoot(10, swapped, size, root, { kind: 'prior', range: prior })).toThrowWithCode(TlogError, 'TLOG_ROOT_MISMATCH');
    expect(() => verifyLeavesAgainstRoot(10, run.slice(0, -1), size, root, { kind: 'prior', range: prior })).toThrowWithCode(TlogError, 'TLOG_RANGE_INVALID');
    expect(() => verifyLeavesAgainstRoot(11, run.slice(1), size, root, { kind: 'prior', range: prior })).toThrowWithCode(TlogError, 'TLOG_RANGE_NOT_ADJACENT');
    expect(() => verifyLeavesAgainstRoot(10, run, size - 1, root, { kind: 'prior', range: prior })).toThrowWithCode(TlogError, 'TLOG_INDEX_OUT_OF_RANGE');
    expect(() =>
      verifyLeavesAgainstRoot(10, run.slice(0, 100), size, root, { kind: 'proof', left: naiveRange(0, 10), right: naiveRange(111, size) }),
    ).toThrowWithCode(TlogError, ['TLOG_RANGE_INVALID', 'TLOG_ROOT_MISMATCH']);
  });
});

describe('verifyLeavesAgainstRoot (property)', () => {
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let t = 0; t < 40; t++) {
    const size = 1 + rnd(leaves.length);
    const start = rnd(size);
    const end = start + 1 + rnd(size - start);
    it(`leaves [${start}, ${end}) of ${size}`, () => {
      const root = mth(leaves.slice(0, size));
      const prior = CompactRange.fromJSON(JSON.parse(JSON.stringify(CompactRange.fromHashes(0, start, naiveRange(0, start)))));
      const right = naiveRange(end, size);
      const v = verifyLeavesAgainstRoot(start, leaves.slice(start, end), size, root, { kind: 'prior', range: prior, right });
      expect(v.root().equals(mth(leaves.slice(0, end)))).toBe(true);
      verifyLeavesAgainstRoot(start, leaves.slice(start, end), size, root, { kind: 'proof', left: naiveRange(0, start), right });
      const k = start + rnd(end - start);
      const tampered = leaves.slice(start, end).map((l, i) => (i + start === k ? leafHash(Buffer.from('x')) : l));
      expect(() => verifyLeavesAgainstRoot(start, tampered, size, root, { kind: 'prior', range: prior, right })).toThrowWithCode(
        TlogError,
        'TLOG_ROOT_MISMATCH',
      );
      if (right.length > 0) {
        const badRight = right.map((h, i) => (i === 0 ? leafHash(h) : h));
        expect(() => verifyLeavesAgainstRoot(start, leaves.slice(start, end), size, root, { kind: 'prior', range: prior, right: badRight })).toThrowWithCode(
          TlogError,
          'TLOG_ROOT_MISMATCH',
        );
      }
    });
  }

  it('never aliases caller buffers', () => {
    const leaf = Buffer.from(leaves[0]!);
    const cr = CompactRange.empty();
    cr.append(leaf);
    const before = cr.root();
    leaf.fill(0);
    cr.root().fill(1);
    expect(cr.root().equals(before)).toBe(true);
  });
});
