import { TlogError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';
import { decompose } from './compact.js';
import { toU64 } from './verify.js';

/**
 * Merkle proof GENERATION for a log we own (RFC 9162 section 2.1): root(size), inclusion proofs
 * (2.1.3.1) and consistency proofs (2.1.4.1). Verification lives in verify.ts.
 *
 * Storage model: a node {level, index} is the root of the complete subtree over leaves
 * [index * 2^level, (index + 1) * 2^level); level 0 nodes are leaf hashes. Every hash an RFC 9162
 * proof contains is MTH(D[a:b]) for a range whose start is aligned to the next power of two
 * at or above its width, so it splits into at most log2(n) complete subtrees (decompose()).
 * Complete subtrees never change once written, so a store can keep them forever. A store keeps
 * only the levels that are multiples of `stride` (plus level 0, the leaf hashes): with stride 4
 * that is ~n/15 extra rows, and any missing node costs at most 2^(stride-1) reads of the stored
 * level below it, so root and proofs stay O(log n) reads.
 *
 * Everything here is pure: planning returns the node ids to read; assembly takes their hashes.
 */
export interface NodeId {
  level: number;
  index: number;
}
export interface Range {
  start: number;
  end: number;
}
/** Reads stored nodes (levels 0 and multiples of stride), in the order asked. */
export type NodeReader = (ids: readonly NodeId[]) => Promise<readonly Uint8Array[]>;

export const DEFAULT_STRIDE = 4;

/** Largest power of two strictly below n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Ranges whose MTH form the inclusion proof of leaf `index` in a tree of `size`, in proof order. */
export function inclusionRanges(index: number, size: number): Range[] {
  toU64(index, 'index');
  toU64(size, 'size');
  if (index >= size) throw new TlogError('TLOG_INDEX_OUT_OF_RANGE', `index ${index} is not below tree size ${size}`);
  const out: Range[] = [];
  // PATH(m, D[lo:hi]): recurse into the half holding m, then append the other half (RFC 9162 2.1.3.1).
  const path = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, lo, lo + k);
      out.push({ start: lo + k, end: hi });
    } else {
      path(m - k, lo + k, hi);
      out.push({ start: lo, end: lo + k });
    }
  };
  path(index, 0, size);
  return out;
}

/** Ranges whose MTH form the consistency proof between sizes size1 <= size2 (RFC 9162 2.1.4.1). */
export function consistencyRanges(size1: number, size2: number): Range[] {
  toU64(size1, 'size1');
  toU64(size2, 'size2');
  if (size2 < size1) throw new TlogError('TLOG_CONSISTENCY_SIZE_ORDER', `size1 ${size1} is above size2 ${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  const out: Range[] = [];
  // SUBPROOF(m, D[lo:hi], b): `whole` is b, true while the old tree is the left edge of this subtree.
  const sub = (m: number, lo: number, hi: number, whole: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!whole) out.push({ start: lo, end: hi });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, lo, lo + k, whole);
      out.push({ start: lo + k, end: hi });
    } else {
      sub(m - k, lo + k, hi, false);
      out.push({ start: lo, end: lo + k });
    }
  };
  sub(size1, 0, size2, true);
  return out;
}

/** The complete subtrees covering [start, end), left to right. */
export function rangeNodes(r: Range): NodeId[] {
  const ids: NodeId[] = [];
  let at = r.start;
  for (const level of decompose(r.start, r.end)) {
    const width = 2 ** level;
    ids.push({ level, index: at / width });
    at += width;
  }
  return ids;
}

/** The stored nodes a node is computed from: itself when stored, else its descendants at the stored level below. */
export function storedNodesFor(id: NodeId, stride: number = DEFAULT_STRIDE): NodeId[] {
  const base = id.level - (id.level % stride);
  if (base === id.level) return [id];
  const fan = 2 ** (id.level - base);
  return Array.from({ length: fan }, (_, i) => ({ level: base, index: id.index * fan + i }));
}

/** Hash of a complete subtree from its 2^k children at one level, left to right. */
function foldComplete(hashes: Uint8Array[]): Uint8Array {
  let layer = hashes;
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(nodeHash(layer[i]!, layer[i + 1]!));
    layer = next;
  }
  return layer[0]!;
}

/** MTH of an aligned range from its subtree hashes (left to right): the right-hand remainder folds first. */
function foldRange(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_ROOT;
  let h = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) h = nodeHash(hashes[i]!, h);
  return h;
}

const key = (id: NodeId): string => `${id.level}/${id.index}`;

/**
 * Computes MTH of each range with ONE batched read of stored nodes. Throws TLOG_BAD_HASH_SIZE when
 * the reader returns something that is not a hash (a corrupted store).
 */
export async function rangeHashes(ranges: readonly Range[], read: NodeReader, stride: number = DEFAULT_STRIDE): Promise<Buffer[]> {
  const plan = ranges.map((r) => rangeNodes(r).map((id) => ({ id, stored: storedNodesFor(id, stride) })));
  const wanted = new Map<string, NodeId>();
  for (const nodes of plan) for (const n of nodes) for (const s of n.stored) wanted.set(key(s), s);
  const ids = [...wanted.values()];
  const got = ids.length ? await read(ids) : [];
  if (got.length !== ids.length) throw new TlogError('TLOG_RANGE_INVALID', `node reader returned ${got.length} of ${ids.length} nodes`);
  const byKey = new Map<string, Uint8Array>();
  ids.forEach((id, i) => {
    const h = got[i]!;
    if (h.length !== HASH_SIZE) throw new TlogError('TLOG_BAD_HASH_SIZE', `node ${key(id)} is ${h.length} bytes`);
    byKey.set(key(id), h);
  });
  return plan.map((nodes) => Buffer.from(foldRange(nodes.map((n) => foldComplete(n.stored.map((s) => byKey.get(key(s))!))))));
}

export async function treeRoot(size: number, read: NodeReader, stride?: number): Promise<Buffer> {
  toU64(size, 'size');
  if (size === 0) return Buffer.from(EMPTY_ROOT);
  return (await rangeHashes([{ start: 0, end: size }], read, stride))[0]!;
}

export async function inclusionProof(index: number, size: number, read: NodeReader, stride?: number): Promise<Buffer[]> {
  return rangeHashes(inclusionRanges(index, size), read, stride);
}

export async function consistencyProof(size1: number, size2: number, read: NodeReader, stride?: number): Promise<Buffer[]> {
  return rangeHashes(consistencyRanges(size1, size2), read, stride);
}

/**
 * Appends leaves and reports the complete subtree nodes that each append finishes, at stored
 * levels only (multiples of stride, above 0). Keeps the right frontier (a compact range from 0),
 * so appending never reads the store; restore it with fromFrontier(size, hashes of
 * rangeNodes({start: 0, end: size})) at open.
 */
export class TreeBuilder {
  #size: number;
  /** Frontier: complete subtree hashes with their levels, left to right, levels strictly decreasing. */
  #stack: { level: number; hash: Uint8Array }[];
  readonly stride: number;

  private constructor(size: number, stack: { level: number; hash: Uint8Array }[], stride: number) {
    this.#size = size;
    this.#stack = stack;
    this.stride = stride;
  }

  static empty(stride: number = DEFAULT_STRIDE): TreeBuilder {
    return new TreeBuilder(0, [], stride);
  }

  /** Frontier node ids to read for a tree of `size` leaves (may be at unstored levels: use rangeHashes per id). */
  static frontierRanges(size: number): Range[] {
    return rangeNodes({ start: 0, end: size }).map((id) => ({ start: id.index * 2 ** id.level, end: (id.index + 1) * 2 ** id.level }));
  }

  static fromFrontier(size: number, hashes: readonly Uint8Array[], stride: number = DEFAULT_STRIDE): TreeBuilder {
    const ids = rangeNodes({ start: 0, end: size });
    if (ids.length !== hashes.length) throw new TlogError('TLOG_RANGE_INVALID', `frontier of ${size} needs ${ids.length} hashes`);
    return new TreeBuilder(
      size,
      ids.map((id, i) => ({ level: id.level, hash: hashes[i]! })),
      stride,
    );
  }

  get size(): number {
    return this.#size;
  }

  root(): Buffer {
    return Buffer.from(foldRange(this.#stack.map((s) => s.hash)));
  }

  /** Frontier hashes, left to right (the subtrees of rangeNodes({start: 0, end: size})). */
  frontier(): Buffer[] {
    return this.#stack.map((s) => Buffer.from(s.hash));
  }

  clone(): TreeBuilder {
    return new TreeBuilder(this.#size, this.#stack.slice(), this.stride);
  }

  /** Appends one leaf hash; returns the stored-level nodes it completed. */
  append(leaf: Uint8Array): { id: NodeId; hash: Buffer }[] {
    if (leaf.length !== HASH_SIZE) throw new TlogError('TLOG_BAD_HASH_SIZE', `leaf hash is ${leaf.length} bytes`);
    const done: { id: NodeId; hash: Buffer }[] = [];
    let level = 0;
    let hash: Uint8Array = leaf;
    const end = this.#size + 1;
    while (this.#stack.length && this.#stack[this.#stack.length - 1]!.level === level) {
      hash = nodeHash(this.#stack.pop()!.hash, hash);
      level++;
      if (level % this.stride === 0) done.push({ id: { level, index: end / 2 ** level - 1 }, hash: Buffer.from(hash) });
    }
    this.#stack.push({ level, hash });
    this.#size = end;
    return done;
  }
}
