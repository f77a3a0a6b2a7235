import { createHash, webcrypto } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata'; // before @peculiar/x509 (tsyringe needs it)
import * as px from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { realdata } from '../core/testing/index.js';
import { X509Error, type X509ErrorCode } from './errors.js';
import { realX509 } from './testing/index.js';
import { parseCertificate, parseCertificates } from './x509.js';

const rd = realdata();
const read = (f: string): Buffer => readFileSync(join(rd.dir, f));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Expected verdicts of ../shared/realdata/x509/malformed (MANIFEST: every file EXPECTED-INVALID,
 * "parser must reject or flag"; the defect is in each file's name and subject): the code says which
 * rule refused it. @peculiar/x509 alone accepts all but one of them.
 */
const MALFORMED: Record<string, X509ErrorCode> = {
  'mismatching-sig-alg.pem': 'X509_SIGNATURE_ALGORITHM_MISMATCH',
  'xf-der-invalid-nonminimal-int.pem': 'X509_DER_INVALID',
  'xf-der-pubkey-rsa-nonminimal-int.pem': 'X509_PUBLIC_KEY_INVALID',
  'xf-ext-extended-key-usage-empty-oid.pem': 'X509_EXTENSION_INVALID',
  'xf-ext-extended-key-usage-empty.pem': 'X509_EXTENSION_INVALID',
  'xf-ext-subject-info-empty.pem': 'X509_EXTENSION_INVALID',
  'xf-pubkey-ecdsa-secp192r1.pem': 'X509_PUBLIC_KEY_INVALID',
  'xf-pubkey-rsa-modulus-negative.pem': 'X509_PUBLIC_KEY_INVALID',
  'xf-pubkey-rsa-param-nonnull.pem': 'X509_PUBLIC_KEY_INVALID',
  'xf-subject-nonprintable.pem': 'X509_NAME_INVALID',
};
/** A certificate-shaped base64 value in a _fail bundle whose DER is cut short (every parser refuses it). */
const TRUNCATED_IN_FAIL_CASE = 'bundle-invalid-base64-signature_fail';

describe.skipIf(rd.skip)('X.509 parsing of the shared real data', () => {
  it('every file in x509/malformed is refused with its coded error', () => {
    expect(readdirSync(join(rd.dir, 'x509/malformed')).sort()).toEqual(Object.keys(MALFORMED).sort());
    for (const [file, code] of Object.entries(MALFORMED)) {
      expect(() => parseCertificates(read(`x509/malformed/${file}`)), file).toThrowWithCode(X509Error, code);
    }
  });

  it('a PEM chain with a broken BEGIN line is refused, not read as one certificate', () => {
    expect(() => parseCertificates(read('x509/fulcio/cosign-spec-chain-malformed.pem'))).toThrowWithCode(X509Error, 'X509_PEM_INVALID');
  });

  it('every other real certificate parses', () => {
    const refused = realX509(rd.dir)
      .certificates.filter((c) => {
        try {
          parseCertificate(c.der);
          return false;
        } catch (err) {
          expect(err).toBeInstanceOf(X509Error);
          return true;
        }
      })
      .map((c) => c.where);
    expect(refused.filter((w) => !w.startsWith('x509/malformed/') && !w.includes(TRUNCATED_IN_FAIL_CASE))).toEqual([]);
    expect(refused).toHaveLength(Object.keys(MALFORMED).length + 1);
  });

  it('reads a Fulcio leaf as its MANIFEST entry describes it', () => {
    const [c, ...rest] = parseCertificates(read('x509/fulcio/python-3.12.5-release.pem'));
    expect(rest).toEqual([]);
    expect(c).toMatchObject({
      notBefore: '2024-08-06T20:32:47.000Z',
      notAfter: '2024-08-06T20:42:47.000Z',
      sans: { email: ['thomas@python.org'], dns: [], ip: [], uri: [] },
      extendedKeyUsages: ['codeSigning'],
      keyUsages: ['digitalSignature'],
      ca: false,
      precertificate: false,
      issuerFields: { commonName: ['sigstore-intermediate'], organization: ['sigstore.dev'] },
      publicKey: { algorithm: 'EC' },
    });
    expect(c!.scts).toHaveLength(1);
    expect(c!.sha256).toBe(sha256(c!.der));
  });

  it('reads a chain in order (leaf, intermediate, self-issued root)', () => {
    const chain = parseCertificates(read('x509/fulcio/sigstore-js-bundleV01-full-cert-chain.chain.pem'));
    expect(chain.map((c) => [c.ca, c.selfIssued])).toEqual([
      [false, false],
      [true, false],
      [true, true],
    ]);
    expect(chain[0]!.sans.email).toEqual(['brian@dehamer.com']);
    expect(chain[0]!.issuer).toBe(chain[1]!.subject);
    // The same chain as DER, back to back.
    expect(parseCertificates(Buffer.concat(chain.map((c) => c.der))).map((c) => c.sha256)).toEqual(chain.map((c) => c.sha256));
  });

  it('embedded SCT: the log id is the SHA-256 of the CT test log key that signed it', () => {
    const [c] = parseCertificates(read('ct/ct-go-testdata/test-embedded-cert.pem'));
    const keyDer = Buffer.from(read('ct/ct-go-testdata/ct-server-key-public.pem').toString('utf8').split('-----')[2]!.replace(/\s/g, ''), 'base64');
    expect(c!.scts).toEqual([
      expect.objectContaining({ version: 0, logId: createHash('sha256').update(keyDer).digest('base64'), hashAlgorithm: 4, signatureAlgorithm: 3 }),
    ]);
  });

  it('a precertificate and its final certificate share one CT identity; the poison is detected', () => {
    const [pre] = parseCertificates(read('ct/ct-go-testdata/test-precert.pem'));
    const [fin] = parseCertificates(read('ct/ct-go-testdata/test-embedded-cert.pem'));
    expect(pre!.precertificate).toBe(true);
    expect(fin!.precertificate).toBe(false);
    expect(pre!.sha256).not.toBe(fin!.sha256);
    expect(pre!.ctTbsSha256).toBe(fin!.ctTbsSha256);
  });

  it("the CT identity equals the TBS a real log put in a precert entry's MerkleTreeLeaf", () => {
    const { entries } = JSON.parse(read('ct/api/get-entries-cert-and-precert.json').toString('utf8')) as {
      entries: { leaf_input: string; extra_data: string }[];
    };
    const precert = entries.find((e) => Buffer.from(e.leaf_input, 'base64').readUInt16BE(10) === 1)!;
    const leaf = Buffer.from(precert.leaf_input, 'base64');
    // MerkleTreeLeaf: version, leaf_type, timestamp(8), entry_type(2), issuer_key_hash(32), TBSCertificate<1..2^24-1>
    const tbs = leaf.subarray(12 + 32 + 3, 12 + 32 + 3 + leaf.readUIntBE(12 + 32, 3));
    const extra = Buffer.from(precert.extra_data, 'base64'); // PrecertChainEntry: pre_certificate<1..2^24-1>, chain
    const parsed = parseCertificate(extra.subarray(3, 3 + extra.readUIntBE(0, 3)));
    expect(parsed.precertificate).toBe(true);
    expect(parsed.ctTbsSha256).toBe(sha256(tbs));
  });
});

describe('X.509 parsing of generated certificates', () => {
  // Made here with @peculiar/x509 over node's WebCrypto: every SAN kind, EKUs, CA flag.
  it('reads every SAN kind, EKUs, key usage and basic constraints', async () => {
    px.cryptoProvider.set(webcrypto);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await px.X509CertificateGenerator.createSelfSigned({
      serialNumber: '0badc0de',
      name: 'CN=Example Test CA, O=Example Inc',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
      keys,
      signingAlgorithm: alg,
      extensions: [
        new px.BasicConstraintsExtension(true, 1, true),
        new px.KeyUsagesExtension(px.KeyUsageFlags.keyCertSign | px.KeyUsageFlags.cRLSign, true),
        new px.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.3', '1.2.3.4']),
        new px.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'a.example.com' },
          { type: 'dns', value: '*.example.com' },
          { type: 'ip', value: '192.0.2.1' },
          { type: 'ip', value: '2001:db8::1' },
          { type: 'email', value: 'pki@example.com' },
          { type: 'url', value: 'https://example.com/ca' },
        ]),
      ],
    });
    const [c] = parseCertificates(cert.toString('pem'));
    expect(c).toMatchObject({
      serialNumber: '0badc0de',
      subjectFields: { commonName: ['Example Test CA'], organization: ['Example Inc'] },
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2027-01-01T00:00:00.000Z',
      sans: { dns: ['a.example.com', '*.example.com'], ip: ['192.0.2.1', '2001:db8::1'], email: ['pki@example.com'], uri: ['https://example.com/ca'] },
      extendedKeyUsages: ['serverAuth', 'codeSigning', '1.2.3.4'],
      keyUsages: ['keyCertSign', 'cRLSign'],
      ca: true,
      pathLength: 1,
      selfIssued: true,
      publicKey: { algorithm: 'EC', curve: 'P-256' },
    });
    expect(c!.spkiSha256).toBe(sha256(Buffer.from(cert.publicKey.rawData)));
  });

  it('empty input, a non-certificate PEM block and a truncated DER are coded errors', () => {
    expect(() => parseCertificates('')).toThrowWithCode(X509Error, 'X509_EMPTY');
    expect(() => parseCertificates('hello\n')).toThrowWithCode(X509Error, 'X509_EMPTY');
    expect(() => parseCertificates('-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n')).toThrowWithCode(X509Error, 'X509_PEM_INVALID');
    expect(() => parseCertificates(Buffer.from([0x30, 0x82, 0x05]))).toThrowWithCode(X509Error, 'X509_DER_INVALID');
  });
});

describe.skipIf(rd.skip)('DER input that does not split into whole certificates', () => {
  it('trailing bytes, a non-SEQUENCE, an indefinite or non-minimal length after a good certificate are X509_DER_INVALID on the certificate', () => {
    const { der } = parseCertificates(read('ct/ct-go-testdata/test-embedded-cert.pem'))[0]!;
    for (const tail of [[0x00], [0x30], [0x02, 0x01, 0x00], [0x30, 0x80, 0x00, 0x00], [0x30, 0x81, 0x00], [0x30, 0x85, 1, 0, 0, 0, 0]]) {
      expect(() => parseCertificates(Buffer.concat([der, Buffer.from(tail)])), String(tail)).toThrowWithCode(X509Error, 'X509_DER_INVALID', {
        field: 'certificate',
      });
    }
    expect(parseCertificates(Buffer.concat([der, der])).map((c) => c.sha256)).toEqual([sha256(der), sha256(der)]);
  });
});

describe.skipIf(rd.skip)('X.509 parsing never crashes', () => {
  it('every truncation and single-byte flip of a real certificate parses or throws X509Error', () => {
    const { der } = parseCertificates(read('ct/ct-go-testdata/test-embedded-cert.pem'))[0]!;
    const tries: Buffer[] = [];
    for (let n = 0; n < der.length; n += 7) tries.push(der.subarray(0, n));
    for (let i = 0; i < der.length; i += 3) {
      const m = Buffer.from(der);
      m[i] = m[i]! ^ (1 << (i % 8));
      tries.push(m);
    }
    for (const t of tries) {
      try {
        parseCertificates(t);
      } catch (err) {
        expect(err).toBeInstanceOf(X509Error);
      }
    }
  });
});
