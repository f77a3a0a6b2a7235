import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TlogError } from './errors.js';
import { HASH_SIZE, leafHash } from './hash.js';
import { consistencyProof, mth, path } from './testing/naive-tree.js';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';

/** Deterministic PRNG so a failing seed can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}
function flip(h: Buffer, bit: number): Buffer {
  const c = Buffer.from(h);
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
}
const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from(`entry-${i}`)));

describe('inclusion proofs (property)', () => {
  const r = rng(6962);
  for (let t = 0; t < 60; t++) {
    const size = 1 + r(leaves.length);
    const index = r(size);
    it(`leaf ${index} of ${size}`, () => {
      const tree = leaves.slice(0, size);
      const root = mth(tree);
      const proof = path(index, tree);
      verifyInclusion(tree[index]!, index, size, proof, root);
      expect(rootFromInclusionProof(tree[index]!, index, size, proof).equals(root)).toBe(true);

      expect(() => verifyInclusion(flip(tree[index]!, r(256)), index, size, proof, root)).toThrowWithCode(TlogError, 'TLOG_INCLUSION_MISMATCH');
      expect(() => verifyInclusion(tree[index]!, index, size, proof, flip(root, r(256)))).toThrowWithCode(TlogError, 'TLOG_INCLUSION_MISMATCH');
      if (proof.length > 0) {
        const k = r(proof.length);
        const bad = proof.map((p, i) => (i === k ? flip(p, r(256)) : p));
        expect(() => verifyInclusion(tree[index]!, index, size, bad, root)).toThrowWithCode(TlogError, 'TLOG_INCLUSION_MISMATCH');
        expect(() => verifyInclusion(tree[index]!, index, size, proof.slice(1), root)).toThrowWithCode(TlogError, 'TLOG_INCLUSION_BAD_PROOF_LENGTH');
      }
      expect(() => verifyInclusion(tree[index]!, index, size, [...proof, root], root)).toThrowWithCode(TlogError, 'TLOG_INCLUSION_BAD_PROOF_LENGTH');
      if (size > 1) {
        const other = (index + 1 + r(size - 1)) % size;
        expect(() => verifyInclusion(tree[index]!, other, size, proof, root)).toThrowWithCode(TlogError, [
          'TLOG_INCLUSION_MISMATCH',
          'TLOG_INCLUSION_BAD_PROOF_LENGTH',
        ]);
      }
      expect(() => verifyInclusion(tree[index]!, size, size, proof, root)).toThrowWithCode(TlogError, 'TLOG_INDEX_OUT_OF_RANGE');
    });
  }

  it('rejects unsafe and negative numbers, and wrong hash sizes', () => {
    const h = leaves[0]!;
    expect(() => verifyInclusion(h, -1, 4, [], h)).toThrowWithCode(TlogError, 'TLOG_SIZE_INVALID');
    expect(() => verifyInclusion(h, 0, 2 ** 53, [], h)).toThrowWithCode(TlogError, 'TLOG_SIZE_INVALID');
    expect(() => verifyInclusion(h, 0.5, 4, [], h)).toThrowWithCode(TlogError, 'TLOG_SIZE_INVALID');
    expect(() => verifyInclusion(h.subarray(0, 31), 0, 1, [], h)).toThrowWithCode(TlogError, 'TLOG_BAD_HASH_SIZE');
    expect(() => verifyInclusion(h, 0, 2, [Buffer.alloc(33)], h)).toThrowWithCode(TlogError, 'TLOG_BAD_HASH_SIZE');
  });

  it('computes exact proof lengths near 2^53 (bigint bit arithmetic)', () => {
    const size = Number.MAX_SAFE_INTEGER; // 2^53 - 1: 53 one-bits
    const proof = Array.from({ length: 52 }, () => randomBytes(HASH_SIZE));
    // The last leaf of a 2^53-1 tree has a 52-hash path (one per left subtree).
    expect(() => rootFromInclusionProof(leaves[0]!, size - 1, size, proof)).not.toThrow();
    expect(() => rootFromInclusionProof(leaves[0]!, size - 1, size, proof.slice(1))).toThrowWithCode(TlogError, 'TLOG_INCLUSION_BAD_PROOF_LENGTH');
    // Leaf 0: 52 levels inside the 2^52 subtree plus nothing, as the border has no ones above.
    expect(() => rootFromInclusionProof(leaves[0]!, 0, size, [...proof, leaves[1]!])).not.toThrow();
  });
});

describe('consistency proofs (property)', () => {
  const r = rng(9162);
  for (let t = 0; t < 60; t++) {
    const size2 = 1 + r(leaves.length);
    const size1 = 1 + r(size2);
    it(`${size1} -> ${size2}`, () => {
      const root1 = mth(leaves.slice(0, size1));
      const root2 = mth(leaves.slice(0, size2));
      const proof = size1 === size2 ? [] : consistencyProof(size1, leaves.slice(0, size2));
      verifyConsistency(size1, size2, proof, root1, root2);

      const fork = leaves.slice(0, size2).map((l, i) => (i === r(size2) ? flip(l, 1) : l));
      const forkRoot = mth(fork);
      if (!forkRoot.equals(root2)) {
        expect(() => verifyConsistency(size1, size2, proof, root1, forkRoot)).toThrowWithCode(TlogError, 'TLOG_CONSISTENCY_MISMATCH');
      }
      expect(() => verifyConsistency(size1, size2, proof, flip(root1, r(256)), root2)).toThrowWithCode(TlogError, 'TLOG_CONSISTENCY_MISMATCH');
      if (proof.length > 0) {
        const k = r(proof.length);
        const bad = proof.map((p, i) => (i === k ? flip(p, r(256)) : p));
        expect(() => verifyConsistency(size1, size2, bad, root1, root2)).toThrowWithCode(TlogError, 'TLOG_CONSISTENCY_MISMATCH');
        expect(() => verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2)).toThrowWithCode(TlogError, 'TLOG_CONSISTENCY_BAD_PROOF_LENGTH');
      }
      expect(() => verifyConsistency(size2, size1 - 1, proof, root2, root1)).toThrowWithCode(TlogError, ['TLOG_TREE_SHRANK', 'TLOG_CONSISTENCY_FROM_EMPTY']);
    });
  }

  it('refuses the empty tree as the old tree, and a shrinking tree', () => {
    const root = mth(leaves.slice(0, 3));
    expect(() => verifyConsistency(0, 3, [], mth([]), root)).toThrowWithCode(TlogError, 'TLOG_CONSISTENCY_FROM_EMPTY');
    expect(() => verifyConsistency(3, 2, [], root, root)).toThrowWithCode(TlogError, 'TLOG_TREE_SHRANK');
    expect(() => verifyConsistency(3, 3, [root], root, root)).toThrowWithCode(TlogError, 'TLOG_CONSISTENCY_BAD_PROOF_LENGTH');
    expect(() => verifyConsistency(3, 3, [], root, mth(leaves.slice(0, 2)))).toThrowWithCode(TlogError, 'TLOG_CONSISTENCY_MISMATCH');
  });
});

describe('TlogError', () => {
  it('is a non-retriable ChainwatchError', async () => {
    const { ChainwatchError } = await import('../errors.js');
    const outOfRange = () => verifyInclusion(leaves[0]!, 1, 1, [], leaves[0]!);
    expect(outOfRange).toThrowWithCode(TlogError, 'TLOG_INDEX_OUT_OF_RANGE', { retriable: false, name: 'TlogError' });
    expect(outOfRange).toThrow(ChainwatchError);
  });
});
