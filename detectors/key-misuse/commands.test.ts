import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/index.js';
import { realdata } from '../../core/testing/index.js';
import { signerFromPem } from '../../trust/index.js';
import { keyIdOf } from './commands.js';

/** `keys revoke KEYID|FILE`: the keyId a PEM file gives is the one registry signer records carry. */
const rd = realdata();

describe.skipIf(rd.skip)('keys revoke: keyId of a PEM file (real keys)', () => {
  it('a PEM public key gives the SHA-256 of its SPKI, as trust computes a key signer fingerprint', () => {
    const pem = join(rd.dir, 'rekor/api/log-info-rekor.sigstore.dev-treesize-266676745.pub.pem');
    expect(keyIdOf(pem)).toBe(signerFromPem(readFileSync(pem, 'utf8')).fingerprintSha256);
    const rsa = join(rd.dir, 'ct/keys/google-ct-log-rsa.pub.pem');
    expect(keyIdOf(rsa)).toBe(signerFromPem(readFileSync(rsa, 'utf8')).fingerprintSha256);
  });

  it('a certificate gives the keyId of the key inside it, not the certificate fingerprint', () => {
    const pem = join(rd.dir, 'x509/fulcio/python-3.12.5-release.pem');
    const id = keyIdOf(pem);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).not.toBe(signerFromPem(readFileSync(pem, 'utf8')).fingerprintSha256);
  });

  it('hex is taken as given (lower-cased); garbage and missing files are usage errors', () => {
    expect(keyIdOf('AB'.repeat(32))).toBe('ab'.repeat(32));
    for (const bad of [join(rd.dir, 'ct/keys/garbage-there-are-limits'), '/nonexistent/key.pem', 'abc']) {
      expect(() => keyIdOf(bad)).toThrow(UsageError);
      try {
        keyIdOf(bad);
      } catch (err) {
        expect((err as UsageError).code).toBe('CLI_USAGE');
      }
    }
  });
});
