import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TlogError } from '../core/tlog/index.js';
import { describe, expect, it } from 'vitest';
import { TrustError } from './errors.js';
import { ctLogKeys, isKeyValidAt, logKeyForUrl, logKeyFromPem, logKeys, type LogKey } from './log-keys.js';
import { parseTrustedRoot } from './trusted-root.js';
import { realdata } from '../core/testing/index.js';

/**
 * One LogKey for Rekor v1 (P-256), Rekor v2 (Ed25519) and CT logs (P-256, RSA), from a trusted
 * root or a PEM. Real keys: the Sigstore prod/staging roots, a Google CT log list, Rekor's served key.
 */
const rd = realdata();
const read = (p: string): string => readFileSync(join(rd.dir, p), 'utf8');
const root = (which: 'prod' | 'staging') => parseTrustedRoot(read(`sigstore/trusted-roots/${which}/trusted_root.json`), which);
const pem = (der: Buffer): string =>
  `-----BEGIN PUBLIC KEY-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PUBLIC KEY-----\n`;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('logKeyFromPem (a key from config)', () => {
  const pemOf = (type: 'ec' | 'rsa' | 'ed25519' | 'ed448', opts: { namedCurve?: string; modulusLength?: number }): string => {
    const pair =
      type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: opts.namedCurve! })
        : type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: opts.modulusLength! })
          : type === 'ed25519'
            ? generateKeyPairSync('ed25519')
            : generateKeyPairSync('ed448');
    return pair.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  };

  it.each([
    ['ec', { namedCurve: 'prime256v1' }, 'ecdsa-p256', 'PKIX_ECDSA_P256_SHA_256'],
    ['ec', { namedCurve: 'secp384r1' }, 'ecdsa-p384', 'PKIX_ECDSA_P384_SHA_384'],
    ['ed25519', {}, 'ed25519', 'PKIX_ED25519'],
    ['rsa', { modulusLength: 2048 }, 'rsa', 'PKIX_RSA_PKCS1V15_2048_SHA256'],
  ] as const)('%s %o: algorithm, key details and RFC 6962 log ID', (type, opts, algorithm, details) => {
    const key = logKeyFromPem(pemOf(type, opts));
    expect(key).toMatchObject({ algorithm, keyDetails: details, baseUrl: undefined, validFor: { start: undefined, end: undefined } });
    expect(key.spkiHash.hex).toBe(sha256(key.spki));
    expect(key.logId).toEqual(key.spkiHash);
    expect(key.checkpointKeyId).toEqual(key.spkiHash);
    expect(logKeyFromPem(key.publicKeyPem).spki.equals(key.spki)).toBe(true);
    expect(isKeyValidAt(key, new Date(0))).toBe(true);
  });

  it('refuses what is not a public key (KEY_MALFORMED) and key types no log uses (KEY_UNSUPPORTED)', () => {
    expect(() => logKeyFromPem('nope')).toThrowWithCode(TlogError, 'KEY_MALFORMED');
    expect(() => logKeyFromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrowWithCode(TlogError, 'KEY_MALFORMED');
    expect(() => logKeyFromPem(pemOf('ed448', {}))).toThrowWithCode(TlogError, 'KEY_UNSUPPORTED');
    expect(() => logKeyFromPem(pemOf('ec', { namedCurve: 'secp256k1' }))).toThrowWithCode(TlogError, 'KEY_UNSUPPORTED');
  });
});

describe.skipIf(rd.skip)('log keys of real roots and logs', () => {
  it('the log ID of every CT log of a real log list is the SHA-256 of its SPKI', () => {
    const list = JSON.parse(read('ct/loglist/loglist3.json')) as { operators: { logs: { description: string; key: string; log_id: string }[] }[] };
    const logs = list.operators.flatMap((o) => o.logs);
    expect(logs.length).toBeGreaterThan(3);
    for (const l of logs) {
      const p = pem(Buffer.from(l.key, 'base64'));
      // The sample list's 'Racketeer' entry carries 64 raw bytes, not an SPKI: a key parser must refuse it.
      if (l.description.includes('Racketeer')) {
        expect(() => logKeyFromPem(p)).toThrowWithCode(TlogError, 'KEY_MALFORMED');
        continue;
      }
      const key = logKeyFromPem(p);
      expect([l.description, key.spkiHash.base64, key.algorithm]).toEqual([l.description, l.log_id, 'ecdsa-p256']);
    }
  });

  it('reads a real RSA CT log key and refuses garbage', () => {
    const rsa = logKeyFromPem(read('ct/keys/google-ct-log-rsa.pub.pem'));
    expect(rsa).toMatchObject({ algorithm: 'rsa', keyDetails: 'PKIX_RSA_PKCS1V15_4096_SHA256' });
    expect(rsa.spkiHash.hex).toBe(sha256(rsa.spki));
    expect(() => logKeyFromPem(read('ct/keys/garbage-there-are-limits'))).toThrowWithCode(TlogError, 'KEY_MALFORMED');
  });

  it('reads the Rekor v1 and v2 keys of the production root', () => {
    const keys = logKeys(root('prod'));
    const v1 = keys.find((k) => k.baseUrl === 'https://rekor.sigstore.dev')!;
    const v2 = keys.find((k) => k.baseUrl === 'https://log2025-1.rekor.sigstore.dev')!;
    expect(v1).toMatchObject({ algorithm: 'ecdsa-p256', keyDetails: 'PKIX_ECDSA_P256_SHA_256' });
    expect(v1.logId).toEqual(v1.spkiHash);
    // Rekor serves the same key at /api/v1/log/publicKey.
    expect(v1.spki.equals(logKeyFromPem(read('rekor/api/log-info-rekor.sigstore.dev-treesize-266676745.pub.pem')).spki)).toBe(true);
    expect(v2).toMatchObject({ algorithm: 'ed25519', keyDetails: 'PKIX_ED25519' });
    expect(v2.logId.hex).not.toBe(v2.spkiHash.hex); // the root states the C2SP key ID for Rekor v2
  });

  it('converts a PKCS#1 RSA CT key of the staging root to SPKI, whose hash is the stated log ID', () => {
    const rsa = ctLogKeys(root('staging')).find((k) => k.keyDetails === 'PKCS1_RSA_PKCS1V5')!;
    expect(rsa).toMatchObject({ baseUrl: 'https://ctfe.sigstage.dev/test', algorithm: 'rsa' });
    expect(rsa.spkiHash).toEqual(rsa.logId);
    expect(rsa.validFor.end?.toISOString()).toBe('2022-07-31T00:00:00.000Z');
    for (const k of ctLogKeys(root('prod'))) expect(k.spkiHash).toEqual(k.logId);
  });

  it('logKeyForUrl: by host, path prefix and time; newest valid key first; TrustError when none', () => {
    const prod = root('prod');
    const v1 = logKeyForUrl(prod, 'https://rekor.sigstore.dev', { at: new Date('2025-06-01T00:00:00Z') });
    expect(v1.baseUrl).toBe('https://rekor.sigstore.dev');
    expect(logKeyForUrl(prod, 'https://log2025-1.rekor.sigstore.dev/api/v2').algorithm).toBe('ed25519');
    const ct = logKeyForUrl(prod, 'https://ctfe.sigstore.dev/2022', { logs: 'ctlogs', at: new Date('2024-01-01T00:00:00Z') });
    expect(ct.baseUrl).toBe('https://ctfe.sigstore.dev/2022');
    const notFound = (f: () => LogKey): void => {
      let thrown: unknown;
      try {
        f();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TrustError);
      expect((thrown as TrustError).code).toBe('TRUST_LOG_KEY_NOT_FOUND');
    };
    notFound(() => logKeyForUrl(prod, 'https://rekor.example.org'));
    notFound(() => logKeyForUrl(prod, 'https://rekor.sigstore.dev', { at: new Date('2020-01-01T00:00:00Z') }));
    notFound(() => logKeyForUrl(prod, 'https://ctfe.sigstore.dev/test', { logs: 'ctlogs', at: new Date('2024-01-01T00:00:00Z') }));
    notFound(() => logKeyForUrl(prod, 'not a url'));
  });
});
