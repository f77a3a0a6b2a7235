import { TlogError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';
import { toU64 } from './verify.js';

/**
 * A compact range (transparency-dev/merkle `compact` semantics): the minimal list of perfect
 * subtree roots, left to right, that together cover leaves [begin, end). A range starting at 0
 * holds at most ~log2(end) hashes yet yields the RFC 6962 root of the whole prefix, so a collector
 * can keep one per log as its *verified* position, persist it as JSON, extend it with newly
 * downloaded leaves and compare root() with the next signed checkpoint, without storing leaves.
 *
 * Invariant: hashes.length === decompose(begin, end).length, and hashes[i] is the root of the
 * i-th subtree of that decomposition. Every constructor path checks it.
 */
export interface CompactRangeJSON {
  begin: number;
  end: number;
  /** Lower-case hex, one per subtree, left to right. */
  hashes: string[];
}

/** Levels (log2 of width) of the maximal aligned subtrees covering [begin, end), left to right. */
export function decompose(begin: number, end: number): number[] {
  toU64(begin, 'begin');
  toU64(end, 'end');
  if (end < begin) throw new TlogError('TLOG_RANGE_INVALID', `range end ${end} is before begin ${begin}`);
  const levels: number[] = [];
  for (let b = begin; b < end;) {
    let level = 0;
    let width = 1;
    // Widths are powers of two, so division and modulo stay exact on safe integers.
    while (b % (width * 2) === 0 && b + width * 2 <= end) {
      width *= 2;
      level++;
    }
    levels.push(level);
    b += width;
  }
  return levels;
}

function checkHash(h: Uint8Array, what: string): Buffer {
  if (h.length !== HASH_SIZE) throw new TlogError('TLOG_BAD_HASH_SIZE', `${what} is ${h.length} bytes, want ${HASH_SIZE}`);
  return Buffer.isBuffer(h) ? h : Buffer.from(h);
}

export class CompactRange {
  #begin: number;
  #end: number;
  #hashes: Buffer[];

  private constructor(begin: number, end: number, hashes: Buffer[]) {
    this.#begin = begin;
    this.#end = end;
    this.#hashes = hashes;
  }

  /** An empty range positioned at `begin` (0 for a log prefix). */
  static empty(begin = 0): CompactRange {
    toU64(begin, 'begin');
    return new CompactRange(begin, begin, []);
  }

  /** Builds a range from subtree hashes, e.g. ones a server or tile supplied. Checks the count. */
  static fromHashes(begin: number, end: number, hashes: readonly Uint8Array[]): CompactRange {
    const want = decompose(begin, end).length;
    if (hashes.length !== want) {
      throw new TlogError('TLOG_RANGE_INVALID', `range [${begin}, ${end}) needs ${want} hashes, got ${hashes.length}`);
    }
    return new CompactRange(
      begin,
      end,
      hashes.map((h, i) => Buffer.from(checkHash(h, `hashes[${i}]`))),
    );
  }

  /** Restores a range persisted with toJSON(). Input is treated as untrusted. */
  static fromJSON(json: unknown): CompactRange {
    const j = json as Partial<CompactRangeJSON> | null;
    if (
      typeof j !== 'object' ||
      j === null ||
      typeof j.begin !== 'number' ||
      typeof j.end !== 'number' ||
      !Array.isArray(j.hashes) ||
      !j.hashes.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))
    ) {
      throw new TlogError('TLOG_RANGE_INVALID', 'compact range JSON must be {begin, end, hashes: hex[]}');
    }
    return CompactRange.fromHashes(
      j.begin,
      j.end,
      j.hashes.map((h) => Buffer.from(h, 'hex')),
    );
  }

  get begin(): number {
    return this.#begin;
  }
  get end(): number {
    return this.#end;
  }
  /** Copies of the subtree hashes, left to right. */
  get hashes(): Buffer[] {
    return this.#hashes.map((h) => Buffer.from(h));
  }

  toJSON(): CompactRangeJSON {
    return { begin: this.#begin, end: this.#end, hashes: this.#hashes.map((h) => h.toString('hex')) };
  }

  clone(): CompactRange {
    return new CompactRange(this.#begin, this.#end, this.#hashes.slice());
  }

  equals(other: CompactRange): boolean {
    return this.#begin === other.#begin && this.#end === other.#end && this.#hashes.every((h, i) => h.equals(other.#hashes[i]!));
  }

  /** Appends one leaf hash (SHA-256(0x00||entry)) at index end. Amortised one node hash per leaf. */
  append(leafHash: Uint8Array): void {
    this.#push(0, checkHash(leafHash, 'leaf hash'));
  }

  appendMany(leafHashes: Iterable<Uint8Array>): void {
    for (const h of leafHashes) this.append(h);
  }

  /** Appends the adjacent range `other` ([this.end, other.end)) in place. `other` is unchanged. */
  merge(other: CompactRange): void {
    if (other.#begin !== this.#end) {
      throw new TlogError('TLOG_RANGE_NOT_ADJACENT', `cannot merge [${other.#begin}, …) onto a range ending at ${this.#end}`);
    }
    const levels = decompose(other.#begin, other.#end);
    levels.forEach((level, i) => this.#push(level, other.#hashes[i]!));
  }

  /** RFC 6962 root of leaves [0, end). Only a range that starts at 0 has a tree root. */
  root(): Buffer {
    if (this.#begin !== 0) throw new TlogError('TLOG_RANGE_INVALID', `a range starting at ${this.#begin} has no tree root`);
    const n = this.#hashes.length;
    if (n === 0) return Buffer.from(EMPTY_ROOT);
    if (n === 1) return Buffer.from(this.#hashes[0]!); // a copy: callers may mutate what they get
    // Subtrees shrink left to right, and MTH folds the right-hand remainder first.
    let h = this.#hashes[n - 1]!;
    for (let i = n - 2; i >= 0; i--) h = nodeHash(this.#hashes[i]!, h);
    return h;
  }

  /**
   * Appends a perfect subtree of 2^level leaves at index end, then merges it with left siblings
   * for as long as the sibling lies inside the range: that keeps the decomposition maximal.
   */
  #push(level: number, hash: Buffer): void {
    let width = 2 ** level;
    let pos = this.#end;
    if (pos % width !== 0) throw new TlogError('TLOG_RANGE_INVALID', `subtree of width ${width} is misaligned at ${pos}`);
    // Inline check rather than toU64(): this runs once per leaf and must not allocate a bigint.
    if (!Number.isSafeInteger(pos + width)) throw new TlogError('TLOG_SIZE_INVALID', 'range end would exceed 2^53-1');
    this.#end = pos + width;
    let seed = hash;
    while ((pos / width) % 2 === 1 && pos - width >= this.#begin) {
      seed = nodeHash(this.#hashes.pop()!, seed);
      pos -= width;
      width *= 2;
    }
    // Never keep a caller's buffer: mutating it later would silently corrupt the range.
    this.#hashes.push(seed === hash ? Buffer.from(hash) : seed);
  }
}
