import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBody } from './body.js';
import { loadLogKey, verifyCheckpoint } from './checkpoint.js';
import { RekorError } from './errors.js';
import { canonicalJson } from './verify-entry.js';
import { publicKeyFromTrustedRoot } from './trust-key.js';
import { embeddedProductionRoot } from '../../trust/trusted-root.js';

/** Real third-party data: Rekor log info (prod + a local Rekor) and sigstore-conformance bundles. */
const REALDATA = process.env.CHAINWATCH_REALDATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'realdata');
let present = true;
try {
  readFileSync(join(REALDATA, 'MANIFEST.md'));
} catch {
  present = false;
  console.warn(`SKIP: real test data not found at ${REALDATA} (set CHAINWATCH_REALDATA)`);
}
const rd = (p: string): string => readFileSync(join(REALDATA, p), 'utf8');
const body = (bundle: string): string =>
  JSON.parse(rd(`sigstore/conformance/bundle-verify/${bundle}/bundle.sigstore.json`)).verificationMaterial.tlogEntries[0].canonicalizedBody;

describe.skipIf(!present)('checkpoint verification on real signed tree heads', () => {
  it('verifies rekor.sigstore.dev and a local Rekor', () => {
    for (const name of ['log-info-rekor.sigstore.dev-treesize-266676745', 'log-info-empty-local-rekor']) {
      const info = JSON.parse(rd(`rekor/api/${name}.json`));
      const cp = verifyCheckpoint(info.signedTreeHead, loadLogKey(rd(`rekor/api/${name}.pub.pem`)));
      expect(cp.size).toBe(info.treeSize);
      expect(cp.root.toString('hex')).toBe(info.rootHash);
    }
  });
  it('takes the log key from the Sigstore trusted root (trust/ logKeys)', () => {
    const info = JSON.parse(rd('rekor/api/log-info-rekor.sigstore.dev-treesize-266676745.json'));
    const pem = publicKeyFromTrustedRoot(embeddedProductionRoot(), 'https://rekor.sigstore.dev', new Date('2025-06-01T00:00:00Z'));
    expect(verifyCheckpoint(info.signedTreeHead, loadLogKey(pem)).size).toBe(info.treeSize);
    expect(() => publicKeyFromTrustedRoot(embeddedProductionRoot(), 'https://rekor.example.org')).toThrow(RekorError);
  });
  it('refuses another key, a tampered note and a wrong origin with coded errors', () => {
    const info = JSON.parse(rd('rekor/api/log-info-rekor.sigstore.dev-treesize-266676745.json'));
    const other = loadLogKey(rd('rekor/api/log-info-empty-local-rekor.pub.pem'));
    const key = loadLogKey(rd('rekor/api/log-info-rekor.sigstore.dev-treesize-266676745.pub.pem'));
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(RekorError);
        return (err as RekorError).code;
      }
      return 'none';
    };
    expect(code(() => verifyCheckpoint(info.signedTreeHead, other))).toBe('REKOR_CHECKPOINT_SIGNATURE_INVALID');
    expect(code(() => verifyCheckpoint(info.signedTreeHead.replace('266676745', '266676746'), key))).toBe('REKOR_CHECKPOINT_SIGNATURE_INVALID');
    expect(code(() => verifyCheckpoint(info.signedTreeHead, key, 'other origin'))).toBe('REKOR_CHECKPOINT_ORIGIN_MISMATCH');
    expect(code(() => verifyCheckpoint(info.signedTreeHead.split('\n\n')[0], key))).toBe('REKOR_CHECKPOINT_MALFORMED');
    expect(code(() => verifyCheckpoint('o\nx\nAAAA\n\n\u2014 o AAAAAAAA\n', key))).toBe('REKOR_CHECKPOINT_MALFORMED');
  });
});

describe.skipIf(!present)('entry bodies and signer identity from real Sigstore entries', () => {
  it('hashedrekord 0.0.1 with a Fulcio certificate from GitHub Actions', () => {
    const { parsed } = parseBody(body('happy-path-v0.3'));
    expect(parsed.kind).toBe('hashedrekord');
    expect(parsed.digests[0]!.algorithm).toBe('sha256');
    const s = parsed.signers[0]!;
    expect(s.kind).toBe('certificate');
    expect(s.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.issuer).toMatch(/^https:\/\//);
    expect(Object.keys(s.extensions).every((k) => k.startsWith('1.3.6.1.4.1.57264.1.'))).toBe(true);
  });
  it('dsse (rekor v2) and intoto-in-dsse bodies yield digests and signers', () => {
    for (const b of ['rekor2-dsse-happy-path', 'happy-path-intoto-in-dsse-v3']) {
      const { parsed } = parseBody(body(b));
      expect(parsed.digests.length).toBeGreaterThan(0);
      expect(parsed.signers.length).toBeGreaterThan(0);
    }
  });
  it('canonical bodies are RFC 8785 canonical; a malformed body is a coded error', () => {
    const raw = Buffer.from(body('happy-path-v0.3'), 'base64').toString();
    expect(canonicalJson(JSON.parse(raw))).toBe(raw);
    expect(() => parseBody(Buffer.from('{"no":"kind"}').toString('base64'))).toThrow(RekorError);
    expect(() => parseBody('!!!')).toThrow(RekorError);
  });
});
