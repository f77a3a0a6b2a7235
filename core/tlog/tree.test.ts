import { describe, expect, it } from 'vitest';
import { TlogError } from './errors.js';
import { EMPTY_ROOT, leafHash, nodeHash } from './hash.js';
import { consistencyProof, inclusionProof, type NodeId, rangeHashes, TreeBuilder, treeRoot } from './tree.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

/** RFC 9162 MTH by its recursive definition: the reference the efficient code must match. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return Buffer.from(EMPTY_ROOT);
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** A store as the audit backends keep it: leaf hashes plus nodes the builder reported. */
function buildStore(n: number, stride: number) {
  const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const nodes = new Map<string, Buffer>();
  const builder = TreeBuilder.empty(stride);
  let reads = 0;
  for (const l of leaves) for (const d of builder.append(l)) nodes.set(`${d.id.level}/${d.id.index}`, d.hash);
  const read = async (ids: readonly NodeId[]) => {
    reads += ids.length;
    return ids.map((id) => {
      if (id.level === 0) return leaves[id.index]!;
      expect(id.level % stride).toBe(0); // only stored levels are ever asked for
      const h = nodes.get(`${id.level}/${id.index}`);
      if (!h) throw new Error(`node ${id.level}/${id.index} not stored`);
      return h;
    });
  };
  return { leaves, builder, read, reads: () => reads };
}

describe('tree proofs (RFC 9162 2.1)', () => {
  for (const stride of [1, 2, 4]) {
    it(`roots, inclusion and consistency proofs verify for every size up to 40 (stride ${stride})`, async () => {
      const { leaves, builder, read } = buildStore(40, stride);
      expect(builder.root().equals(mth(leaves))).toBe(true);
      for (let size = 1; size <= 40; size++) {
        const root = await treeRoot(size, read, stride);
        expect(root.equals(mth(leaves.slice(0, size)))).toBe(true);
        for (let i = 0; i < size; i++) verifyInclusion(leaves[i]!, i, size, await inclusionProof(i, size, read, stride), root);
        for (let m = 1; m <= size; m++) {
          verifyConsistency(m, size, await consistencyProof(m, size, read, stride), mth(leaves.slice(0, m)), root);
        }
      }
    });
  }

  it('reads O(log n) stored nodes per proof on a large tree', async () => {
    const n = 100_003;
    const { leaves, read, reads } = buildStore(n, 4);
    const root = await treeRoot(n, read);
    const before = reads();
    const proof = await inclusionProof(77_777, n, read);
    verifyInclusion(leaves[77_777]!, 77_777, n, proof, root);
    expect(reads() - before).toBeLessThan(17 * 8 * 2);
    const c = await consistencyProof(65_537, n, read);
    verifyConsistency(65_537, n, c, await treeRoot(65_537, read), root);
  });

  it('restores a builder from its frontier and keeps producing the same nodes', async () => {
    const { leaves, read } = buildStore(37, 4);
    const frontier = await rangeHashes(TreeBuilder.frontierRanges(37), read);
    const restored = TreeBuilder.fromFrontier(37, frontier);
    expect(restored.root().equals(mth(leaves))).toBe(true);
    const more = leafHash(Buffer.from('leaf 37'));
    restored.append(more);
    expect(restored.root().equals(mth([...leaves, more]))).toBe(true);
  });

  it('refuses out-of-range indices and inverted sizes with coded errors', async () => {
    const { read } = buildStore(5, 4);
    await expect(inclusionProof(5, 5, read)).rejects.toThrowWithCode(TlogError, 'TLOG_INDEX_OUT_OF_RANGE');
    await expect(consistencyProof(4, 3, read)).rejects.toThrowWithCode(TlogError, 'TLOG_CONSISTENCY_SIZE_ORDER');
    expect(() => TreeBuilder.empty().append(Buffer.alloc(3))).toThrowWithCode(TlogError, 'TLOG_BAD_HASH_SIZE');
  });
});
