import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { realdata } from '../../core/testing/index.js';
import { describe, expect, it } from 'vitest';
import { parseBody } from './body.js';
import { RekorError } from './errors.js';
import { canonicalJson } from '../../core/index.js';

/**
 * Real third-party data: sigstore-conformance bundles. (Checkpoint verification and log keys on
 * real signed tree heads: trust/checkpoint.test.ts, trust/log-keys.test.ts.)
 */
const data = realdata();
const rd = (p: string): string => readFileSync(join(data.dir, p), 'utf8');
const body = (bundle: string): string =>
  JSON.parse(rd(`sigstore/conformance/bundle-verify/${bundle}/bundle.sigstore.json`)).verificationMaterial.tlogEntries[0].canonicalizedBody;

describe.skipIf(data.skip)('entry bodies and signer identity from real Sigstore entries', () => {
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
