import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompactRange } from './compact.js';
import { TlogError, type TlogErrorCode } from './errors.js';
import { EMPTY_ROOT, leafHash, nodeHash } from './hash.js';
import { verifyConsistency, verifyInclusion } from './verify.js';
import { realdata } from '../testing/index.js';

/**
 * transparency-dev/merkle's own test vectors (testdata/ at 417fb0c), read in place from
 * realdata/merkle/transparency-dev. Each file carries wantErr; MANIFEST.md lists 12 valid and
 * 184 mutated vectors. Failures must be TlogErrors with the code the mutation calls for.
 */
const rd = realdata();
const base = join(rd.dir, 'merkle', 'transparency-dev');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : n.endsWith('.json') ? [p] : [];
  });
}
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** Which codes each upstream mutation may legitimately produce (by its `desc`). */
function expectedCodes(desc: string, kind: 'inclusion' | 'consistency'): TlogErrorCode[] {
  const mismatch: TlogErrorCode = kind === 'inclusion' ? 'TLOG_INCLUSION_MISMATCH' : 'TLOG_CONSISTENCY_MISMATCH';
  const badLen: TlogErrorCode = kind === 'inclusion' ? 'TLOG_INCLUSION_BAD_PROOF_LENGTH' : 'TLOG_CONSISTENCY_BAD_PROOF_LENGTH';
  if (kind === 'consistency' && /size1 is zero|sizes are zero|equal \(zero\)|empty tree/.test(desc)) {
    return ['TLOG_CONSISTENCY_FROM_EMPTY'];
  }
  if (/garbage|inserted component|removed component|truncated proof|empty proof|preceding proof|proof is not empty/.test(desc)) {
    return [badLen];
  }
  if (/^(trailing|preceding) root$/.test(desc)) return [badLen];
  if (/^(trailing|preceding) root[12]$/.test(desc)) return [badLen];
  if (/leafIdx|treeSize|size[12] (XOR|plus|sub|div|mul)/.test(desc)) {
    // "sub @1" from 0 wraps to 2^64-1 upstream, which is no safe integer here: TLOG_SIZE_INVALID.
    return [mismatch, badLen, 'TLOG_INDEX_OUT_OF_RANGE', 'TLOG_TREE_SHRANK', 'TLOG_CONSISTENCY_FROM_EMPTY', 'TLOG_SIZE_INVALID'];
  }
  if (/^(empty leaf|empty root and leaf)$/.test(desc)) return ['TLOG_BAD_HASH_SIZE'];
  // Wrong-length hashes ("WrongLeaf", "") are refused before any hashing.
  if (/empty root and random leaf|random leaf|^empty root$|wrong leaf/.test(desc) && kind === 'inclusion') {
    return [mismatch, 'TLOG_INDEX_OUT_OF_RANGE', 'TLOG_BAD_HASH_SIZE'];
  }
  if (/^wrong root1$/.test(desc)) return [mismatch, 'TLOG_BAD_HASH_SIZE'];
  if (/size1 is greater than size2/.test(desc)) return ['TLOG_TREE_SHRANK'];
  if (/proof is empty/.test(desc)) return [badLen];
  return [mismatch];
}

describe.skipIf(rd.skip)('transparency-dev/merkle vectors', () => {
  const all = rd.skip ? [] : files(base).filter((f) => !f.endsWith('rfc6962_reference_tree.json'));
  const tally = { valid: 0, invalid: 0 };

  it('has the 196 vectors MANIFEST.md lists (12 valid, 184 mutated)', () => {
    const verdicts = all.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { wantErr: boolean }).wantErr);
    expect(verdicts.filter((w) => !w)).toHaveLength(12);
    expect(verdicts.filter((w) => w)).toHaveLength(184);
  });

  for (const f of all) {
    const name = relative(base, f);
    it(name, () => {
      const v = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
      const wantErr = v.wantErr as boolean;
      const desc = v.desc as string;
      let run: () => void;
      let kind: 'inclusion' | 'consistency';
      if (name.startsWith('inclusion')) {
        kind = 'inclusion';
        run = () =>
          verifyInclusion(
            b64(v.leafHash as string),
            v.leafIdx as number,
            v.treeSize as number,
            ((v.proof as string[] | null) ?? []).map(b64),
            b64(v.root as string),
          );
      } else {
        kind = 'consistency';
        run = () =>
          verifyConsistency(
            v.size1 as number,
            v.size2 as number,
            ((v.proof as string[] | null) ?? []).map(b64),
            b64(v.root1 as string),
            b64(v.root2 as string),
          );
      }
      if (wantErr) {
        expect(run).toThrowWithCode(TlogError, expectedCodes(desc, kind));
        tally.invalid++;
      } else {
        expect(run).not.toThrow();
        tally.valid++;
      }
    });
  }

  it('counted every verdict', () => {
    expect(tally).toEqual({ valid: 12, invalid: 184 });
  });
});

describe.skipIf(rd.skip)('RFC 6962 reference tree', () => {
  type Ref = {
    leafInputsHex: string[];
    nodeHashesByLevel: string[][];
    rootHashesBySize: Record<string, string>;
    hasherVectors: { op: string; inputHex?: string; leftHex?: string; rightHex?: string; want: string }[];
  };
  const ref = rd.skip ? undefined : (JSON.parse(readFileSync(join(base, 'rfc6962_reference_tree.json'), 'utf8')) as Ref);

  it('hasher vectors match', () => {
    for (const hv of ref!.hasherVectors) {
      const got =
        hv.op === 'emptyRoot'
          ? EMPTY_ROOT
          : hv.op === 'hashLeaf'
            ? leafHash(Buffer.from(hv.inputHex!, 'hex'))
            : nodeHash(Buffer.from(hv.leftHex!, 'hex'), Buffer.from(hv.rightHex!, 'hex'));
      expect(got.toString('hex'), hv.op).toBe(hv.want);
    }
  });

  it('CompactRange reproduces the root of every prefix size 0..8', () => {
    const leaves = ref!.leafInputsHex.map((h) => leafHash(Buffer.from(h, 'hex')));
    expect(leaves.map((l) => l.toString('hex'))).toEqual(ref!.nodeHashesByLevel[0]);
    for (const [size, root] of Object.entries(ref!.rootHashesBySize)) {
      const cr = CompactRange.empty();
      cr.appendMany(leaves.slice(0, Number(size)));
      expect(cr.root().toString('hex'), `size ${size}`).toBe(root);
    }
  });
});
