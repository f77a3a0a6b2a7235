import { TlogError } from './errors.js';
import { HASH_SIZE, nodeHash } from './hash.js';

/**
 * RFC 6962 / RFC 9162 inclusion and consistency proof verification, ported from
 * transparency-dev/merkle proof/verify.go. Sizes and indices arrive as JS numbers; they are
 * checked to be safe integers; the proof-shape arithmetic (XOR, bit length, popcount) runs on
 * bigint because JS bitwise operators truncate to 32 bits, and per-level bit tests use exact
 * division by powers of two.
 */

/** Throws TLOG_SIZE_INVALID unless n is a non-negative safe integer; returns it as bigint. */
export function toU64(n: number, what: string): bigint {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TlogError('TLOG_SIZE_INVALID', `${what} must be a non-negative safe integer`);
  }
  return BigInt(n);
}

function checkHash(h: Uint8Array, what: string): void {
  if (h.length !== HASH_SIZE) throw new TlogError('TLOG_BAD_HASH_SIZE', `${what} is ${h.length} bytes, want ${HASH_SIZE}`);
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  for (let k = 0; k < proof.length; k++) checkHash(proof[k]!, `proof[${k}]`);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Number of bits needed to represent x (bits.Len64). */
function bitLen(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}
function onesCount(x: bigint): number {
  let n = 0;
  for (; x > 0n; x >>= 1n) if (x & 1n) n++;
  return n;
}
function trailingZeros(x: bigint): number {
  if (x === 0n) return 64;
  let n = 0;
  for (; (x & 1n) === 0n; x >>= 1n) n++;
  return n;
}

/**
 * Splits the inclusion proof for leaf `index` in a tree of `size` leaves into the part below the
 * point where the paths to `index` and `size-1` diverge (inner) and the part along the right
 * border (border). inner + border is the only valid proof length.
 */
function decompInclProof(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLen(index ^ (size - 1n));
  return { inner, border: onesCount(index >> BigInt(inner)) };
}

/** Bit i of a safe integer; plain number arithmetic is exact below 2^53 and far cheaper than bigint. */
function bit(x: number, i: number): number {
  return Math.floor(x / 2 ** i) % 2;
}

function chainInner(seed: Uint8Array, proof: readonly Uint8Array[], from: number, to: number, index: number): Uint8Array {
  for (let i = from; i < to; i++) {
    const h = proof[i]!;
    seed = bit(index, i - from) === 0 ? nodeHash(seed, h) : nodeHash(h, seed);
  }
  return seed;
}

/** Like chainInner but only folds in left siblings: yields the hash of the earlier subtree. */
function chainInnerRight(seed: Uint8Array, proof: readonly Uint8Array[], from: number, to: number, index: number): Uint8Array {
  for (let i = from; i < to; i++) {
    if (bit(index, i - from) === 1) seed = nodeHash(proof[i]!, seed);
  }
  return seed;
}

/** Along the right border every proof hash is a left sibling. */
function chainBorderRight(seed: Uint8Array, proof: readonly Uint8Array[], from: number): Uint8Array {
  for (let i = from; i < proof.length; i++) seed = nodeHash(proof[i]!, seed);
  return seed;
}

/**
 * Recomputes the root of a tree of `size` leaves from the hash of leaf `index` and its audit path.
 * Throws TLOG_INDEX_OUT_OF_RANGE, TLOG_BAD_HASH_SIZE or TLOG_INCLUSION_BAD_PROOF_LENGTH.
 */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Buffer {
  const i = toU64(index, 'index');
  const n = toU64(size, 'size');
  if (i >= n) throw new TlogError('TLOG_INDEX_OUT_OF_RANGE', `index ${index} is not below tree size ${size}`);
  checkHash(leafHash, 'leaf hash');
  const { inner, border } = decompInclProof(i, n);
  if (proof.length !== inner + border) {
    throw new TlogError('TLOG_INCLUSION_BAD_PROOF_LENGTH', `inclusion proof has ${proof.length} hashes, want ${inner + border}`);
  }
  checkProofHashes(proof);
  const res = chainBorderRight(chainInner(leafHash, proof, 0, inner, index), proof, inner);
  // Size-1 trees have an empty proof: copy rather than hand back the caller's own leaf buffer.
  return res === leafHash || !Buffer.isBuffer(res) ? Buffer.from(res) : res;
}

/** Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`. */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): void {
  const calc = rootFromInclusionProof(leafHash, index, size, proof);
  if (!equalBytes(calc, root)) {
    throw new TlogError('TLOG_INCLUSION_MISMATCH', `inclusion proof for index ${index} does not lead to the expected root`);
  }
}

/**
 * Verifies that the tree of size1 leaves with root1 is a prefix of the tree of size2 leaves with
 * root2. A proof from the empty tree is refused (TLOG_CONSISTENCY_FROM_EMPTY): every tree extends
 * the empty tree, so such a "proof" proves nothing and callers should not rely on one.
 * Equal sizes need an empty proof and equal roots.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  const n1 = toU64(size1, 'size1');
  const n2 = toU64(size2, 'size2');
  // A newer tree smaller than the older one is a log misbehaving (or a caller mixing up arguments).
  if (n2 < n1) throw new TlogError('TLOG_TREE_SHRANK', `size2 ${size2} is below size1 ${size1}`);
  if (n1 === 0n) {
    throw new TlogError('TLOG_CONSISTENCY_FROM_EMPTY', 'a consistency proof from the empty tree is meaningless');
  }
  if (n1 === n2) {
    if (proof.length > 0) {
      throw new TlogError('TLOG_CONSISTENCY_BAD_PROOF_LENGTH', 'sizes are equal but the proof is not empty');
    }
    if (!equalBytes(root1, root2)) {
      throw new TlogError('TLOG_CONSISTENCY_MISMATCH', `two different roots for tree size ${size1}`);
    }
    return;
  }
  if (proof.length === 0) throw new TlogError('TLOG_CONSISTENCY_BAD_PROOF_LENGTH', 'empty consistency proof');

  const d = decompInclProof(n1 - 1n, n2);
  const shift = trailingZeros(n1);
  const inner = d.inner - shift; // shift < inner because size1 < size2
  // The proof starts with the root of the size-2^shift subtree, unless size1 is that subtree.
  const seedIsRoot1 = n1 === 1n << BigInt(shift);
  const start = seedIsRoot1 ? 0 : 1;
  if (proof.length !== start + inner + d.border) {
    throw new TlogError('TLOG_CONSISTENCY_BAD_PROOF_LENGTH', `consistency proof has ${proof.length} hashes, want ${start + inner + d.border}`);
  }
  checkProofHashes(proof);
  const seed = seedIsRoot1 ? root1 : proof[0]!;
  checkHash(seed, 'root1');
  const mask = Number((n1 - 1n) >> BigInt(shift)); // chaining starts at level `shift`

  const hash1 = chainBorderRight(chainInnerRight(seed, proof, start, start + inner, mask), proof, start + inner);
  if (!equalBytes(hash1, root1)) {
    throw new TlogError('TLOG_CONSISTENCY_MISMATCH', `consistency proof does not match the root of size ${size1}`);
  }
  const hash2 = chainBorderRight(chainInner(seed, proof, start, start + inner, mask), proof, start + inner);
  if (!equalBytes(hash2, root2)) {
    throw new TlogError('TLOG_CONSISTENCY_MISMATCH', `consistency proof does not match the root of size ${size2}`);
  }
}
