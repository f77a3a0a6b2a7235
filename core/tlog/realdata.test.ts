import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from './checkpoint.js';
import { TlogError, type TlogErrorCode } from './errors.js';
import { leafHash } from './hash.js';
import { ecdsaNoteVerifier, ed25519NoteVerifier, type NoteVerifier } from './keys.js';
import { strictBase64 } from './note.js';
import { verifyInclusion } from './verify.js';
import { realdata } from '../testing/index.js';

/**
 * Real checkpoints and inclusion proofs written by Rekor v1/v2, read in place from realdata/.
 * Expected verdicts come from MANIFEST.md ("Independent structural check").
 */
const rd = realdata();
const sig = (...p: string[]): string => join(rd.dir, 'sigstore', ...p);

/**
 * The note verifiers of a trusted_root.json's logs, read here without trust/ (core imports nothing
 * of ours): key name = host of baseUrl, as the logs sign. chainwatch's own mapping from a root's log
 * keys to note verifiers is trust/checkpoint.ts.
 */
function verifiersOf(trustedRootPath: string): NoteVerifier[] {
  const tr = JSON.parse(readFileSync(trustedRootPath, 'utf8')) as { tlogs: { baseUrl: string; publicKey: { rawBytes: string; keyDetails: string } }[] };
  return tr.tlogs.map((log) => {
    const name = new URL(log.baseUrl).host;
    const der = strictBase64(log.publicKey.rawBytes)!;
    if (log.publicKey.keyDetails === 'PKIX_ED25519') return ed25519NoteVerifier(name, der);
    if (log.publicKey.keyDetails === 'PKIX_ECDSA_P256_SHA_256') return ecdsaNoteVerifier(name, der);
    throw new Error(`no note verifier for ${log.publicKey.keyDetails} in ${trustedRootPath}`);
  });
}

describe.skipIf(rd.skip)('Rekor log-info signed tree heads', () => {
  for (const name of ['log-info-rekor.sigstore.dev-treesize-266676745', 'log-info-empty-local-rekor']) {
    it(name, () => {
      const dir = join(rd.dir, 'rekor', 'api');
      const info = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as {
        rootHash: string;
        signedTreeHead: string;
        treeID: string;
        treeSize: number;
      };
      const keyName = info.signedTreeHead.slice(0, info.signedTreeHead.indexOf(' - '));
      const verifier = ecdsaNoteVerifier(keyName, readFileSync(join(dir, `${name}.pub.pem`), 'utf8'));
      const { checkpoint, verifiedBy } = openCheckpoint(info.signedTreeHead, [verifier], {
        origin: `${keyName} - ${info.treeID}`,
      });
      expect(verifiedBy).toEqual([verifier]);
      expect(checkpoint.size).toBe(info.treeSize);
      expect(checkpoint.rootHash.toString('hex')).toBe(info.rootHash);
      // Tampering with any byte of the signed text must be caught.
      const forged = info.signedTreeHead.replace(/\n\d+\n/, (m) => m.replace(/\d\n$/, (d) => `${(Number(d[0]) + 1) % 10}\n`));
      expect(() => openCheckpoint(forged, [verifier])).toThrow(TlogError);
      expect(() => openCheckpoint(info.signedTreeHead, [verifier], { origin: keyName })).toThrowWithCode(TlogError, 'CHECKPOINT_ORIGIN_MISMATCH');
    });
  }
});

/** Bundles whose log proof or checkpoint must fail, with the code (MANIFEST.md lists them). */
const EXPECTED_FAILURES: Record<string, TlogErrorCode> = {
  'inclusion-proof-corrupted-hash_fail': 'TLOG_INCLUSION_MISMATCH',
  'invalid-inclusion-proof_fail': 'TLOG_INCLUSION_MISMATCH',
  'incorrect-public-key_fail': 'TLOG_INCLUSION_MISMATCH',
  'bundle-invalid-base64-signature_fail': 'TLOG_INCLUSION_MISMATCH',
  'bundle-empty-certificate-chain_fail': 'TLOG_INCLUSION_BAD_PROOF_LENGTH',
  'checkpoint-bad-keyhint_fail': 'NOTE_UNKNOWN_KEY',
  'invalid-checkpoint-signature_fail': 'NOTE_SIGNATURE_INVALID',
  'rekor2-checkpoint-missing-log-signature_fail': 'NOTE_NO_SIGNATURE',
  'rekor2-checkpoint-no-matching-signature_fail': 'NOTE_UNKNOWN_KEY',
  'checkpoint-wrong-roothash_fail': 'TLOG_ROOT_MISMATCH',
  'rekor2-checkpoint-missing-origin_fail': 'CHECKPOINT_MALFORMED',
  'rekor2-checkpoint-missing-root-hash_fail': 'CHECKPOINT_MALFORMED',
  'rekor2-checkpoint-missing-size_fail': 'CHECKPOINT_MALFORMED',
  // Signed by the staging log but checked against the production trusted root, as the case intends.
  'bundle-from-wrong-instance_fail': 'NOTE_UNKNOWN_KEY',
};

interface TlogEntry {
  canonicalizedBody: string;
  inclusionProof?: {
    logIndex: string;
    rootHash: string;
    treeSize: string;
    hashes: string[];
    checkpoint?: { envelope: string };
  };
}

/** The log-side checks of a bundle: leaf inclusion, checkpoint signature, checkpoint = proof. */
function checkEntry(e: TlogEntry, verifiers: NoteVerifier[]): void {
  const p = e.inclusionProof!;
  const leaf = leafHash(Buffer.from(e.canonicalizedBody, 'base64'));
  const root = Buffer.from(p.rootHash, 'base64');
  verifyInclusion(
    leaf,
    Number(p.logIndex),
    Number(p.treeSize),
    p.hashes.map((h) => Buffer.from(h, 'base64')),
    root,
  );
  if (!p.checkpoint) return;
  const { checkpoint } = openCheckpoint(p.checkpoint.envelope, verifiers);
  if (checkpoint.size !== Number(p.treeSize) || !checkpoint.rootHash.equals(root)) {
    throw new TlogError('TLOG_ROOT_MISMATCH', 'checkpoint does not match the inclusion proof');
  }
}

describe.skipIf(rd.skip)('sigstore-conformance bundles: inclusion proof + checkpoint', () => {
  const base = sig('conformance', 'bundle-verify');
  const dirs = rd.skip ? [] : readdirSync(base).filter((d) => existsSync(join(base, d, 'bundle.sigstore.json')));
  const outcomes: Record<string, string> = {};

  for (const d of dirs) {
    let bundle: { verificationMaterial?: { tlogEntries?: TlogEntry[] } };
    try {
      bundle = JSON.parse(readFileSync(join(base, d, 'bundle.sigstore.json'), 'utf8')) as typeof bundle;
    } catch {
      continue; // bundle-malformed-json_fail: not a log concern
    }
    const entries = (bundle.verificationMaterial?.tlogEntries ?? []).filter((e) => e.inclusionProof);
    if (entries.length === 0) continue; // *-missing-inclusion-proof: nothing for the log layer to check
    it(d, () => {
      const own = join(base, d, 'trusted_root.json');
      const verifiers = verifiersOf(existsSync(own) ? own : sig('trusted-roots', 'prod', 'trusted_root.json'));
      const want = EXPECTED_FAILURES[d];
      const check = (): void => entries.forEach((e) => checkEntry(e, verifiers));
      if (want) expect(check).toThrowWithCode(TlogError, want);
      else check();
      outcomes[d] = want ?? 'ok';
    });
  }

  it('saw every expected failure', () => {
    for (const d of Object.keys(EXPECTED_FAILURES)) expect(outcomes[d], d).toBe(EXPECTED_FAILURES[d]);
    expect(Object.values(outcomes).filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(40);
  });
});

/** Every other stored bundle (sigstore-js/-python/-java, cosign, slsa-verifier npm attestations). */
function findBundles(dir: string): { file: string; entries: TlogEntry[] }[] {
  const out: { file: string; entries: TlogEntry[] }[] = [];
  const visit = (d: string): void => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      if (n.isDirectory()) {
        if (n.name !== 'conformance') visit(p);
        continue;
      }
      if (!/\.(json|sigstore)$/.test(n.name)) continue;
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(p, 'utf8'));
      } catch {
        continue;
      }
      const entries: TlogEntry[] = [];
      const collect = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(collect);
        else if (v && typeof v === 'object') {
          const o = v as Record<string, unknown>;
          const e = o as unknown as TlogEntry;
          // A TransparencyLogEntry (bundle tlogEntries[], or a bare Rekor v2 response).
          if (typeof e.canonicalizedBody === 'string' && Array.isArray(e.inclusionProof?.hashes)) entries.push(e);
          else Object.values(o).forEach(collect);
        }
      };
      collect(doc);
      if (entries.length > 0) out.push({ file: p.slice(rd.dir.length + 1), entries });
    }
  };
  visit(dir);
  return out;
}

describe.skipIf(rd.skip)('other real bundles: inclusion proof + checkpoint (prod or staging log keys)', () => {
  const bundles = rd.skip ? [] : [...findBundles(sig()), ...findBundles(join(rd.dir, 'slsa'))];
  const verifiers = rd.skip
    ? []
    : [...verifiersOf(sig('trusted-roots', 'prod', 'trusted_root.json')), ...verifiersOf(sig('trusted-roots', 'staging', 'trusted_root.json'))];
  it('found them', () => expect(bundles.length).toBeGreaterThanOrEqual(10));
  // The sigstore-java jar fixture was hand-edited: its body says kind "jar" over a
  // hashedRekordV002 spec, so the logged leaf no longer matches the proof (as it must not).
  const edited: Record<string, TlogErrorCode> = {
    'sigstore/sigstore-java/rekor-response/valid/jar-entry-v2.json': 'TLOG_INCLUSION_MISMATCH',
  };
  for (const b of bundles) {
    it(b.file, () => {
      const want = edited[b.file];
      if (want) expect(() => b.entries.forEach((e) => checkEntry(e, verifiers))).toThrowWithCode(TlogError, want);
      else for (const e of b.entries) checkEntry(e, verifiers);
    });
  }
});
