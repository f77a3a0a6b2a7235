import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signerFromCertificateDer, signerFromPem } from './identity.js';
import { certificate, extension, FULCIO, fulcio, generalizedTime, oid, pem, san, seq, SPKI, tlv, utcTime, utf8String } from './testing/der.js';
import { referenceSigner } from './testing/x509-reference.js';
import { realdata } from '../core/testing/index.js';

// Direct tests of the certificate identity the Rekor collector publishes (and identity-watch pages
// on), over certificates built field by field. The differential and fuzz tests beside this file
// hold the walker to @peculiar/x509 over real and mutated certificates.
const sha256 = (b: Uint8Array): string => hash('sha256', b, 'hex');
const GH = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3';

const fulcioCert = certificate({
  extensions: [
    san(['uri', WORKFLOW]),
    fulcio(1, GH),
    fulcio(2, 'push'),
    fulcio(5, 'acme/app'),
    fulcio(8, GH),
    fulcio(9, WORKFLOW),
    fulcio(11, 'github-hosted'),
    fulcio(12, 'https://github.com/acme/app'),
    fulcio(14, 'refs/tags/v1.2.3'),
    fulcio(22, 'public'),
  ],
});

describe('signerFromCertificateDer: what it reads', () => {
  it('fingerprint, SAN, validity, every Fulcio claim, issuer and GitHub claims (v2 over v1)', () => {
    const s = signerFromCertificateDer(fulcioCert);
    expect(s).toEqual({
      kind: 'certificate',
      fingerprintSha256: sha256(fulcioCert),
      san: WORKFLOW,
      issuer: GH,
      notBefore: '2024-03-19T17:26:26.000Z',
      notAfter: '2024-03-19T17:36:26.000Z',
      extensions: {
        [`${FULCIO}1`]: GH,
        [`${FULCIO}2`]: 'push',
        [`${FULCIO}5`]: 'acme/app',
        [`${FULCIO}8`]: GH,
        [`${FULCIO}9`]: WORKFLOW,
        [`${FULCIO}11`]: 'github-hosted',
        [`${FULCIO}12`]: 'https://github.com/acme/app',
        [`${FULCIO}14`]: 'refs/tags/v1.2.3',
        [`${FULCIO}22`]: 'public',
      },
      github: {
        workflowRef: WORKFLOW,
        repository: 'https://github.com/acme/app',
        ref: 'refs/tags/v1.2.3',
        trigger: 'push',
        runnerEnvironment: 'github-hosted',
      },
    });
    expect(s).toEqual(referenceSigner(fulcioCert));
  });

  it('takes the OIDC issuer from .8, else from the deprecated .1; v1 claims fill what v2 lacks', () => {
    const v2 = signerFromCertificateDer(certificate({ extensions: [fulcio(1, 'https://old.example'), fulcio(8, 'https://new.example')] }));
    expect(v2.issuer).toBe('https://new.example');
    const v1 = signerFromCertificateDer(certificate({ extensions: [fulcio(1, 'https://old.example'), fulcio(6, 'refs/heads/main'), fulcio(3, 'abc')] }));
    expect(v1).toMatchObject({ issuer: 'https://old.example', github: { ref: 'refs/heads/main', sha: 'abc' } });
  });

  it('takes the first e-mail or URI SAN, in order, skipping DNS names', () => {
    const s = (...names: Parameters<typeof san>) => signerFromCertificateDer(certificate({ extensions: [san(...names)] })).san;
    expect(s(['email', 'a@example.com'], ['uri', 'https://b.example'])).toBe('a@example.com');
    expect(s(['dns', 'c.example'], ['uri', 'https://b.example'], ['email', 'a@example.com'])).toBe('https://b.example');
    expect(s(['dns', 'c.example'])).toBeUndefined();
  });

  it('reads UTCTime (50–99 are 19xx) and GeneralizedTime, leap days included', () => {
    const s = signerFromCertificateDer(certificate({ notBefore: utcTime('500101000000Z'), notAfter: generalizedTime('20520229235959Z') }));
    expect([s.notBefore, s.notAfter]).toEqual(['1950-01-01T00:00:00.000Z', '2052-02-29T23:59:59.000Z']);
    expect(signerFromCertificateDer(certificate({ notBefore: utcTime('491231235959Z') })).notBefore).toBe('2049-12-31T23:59:59.000Z');
  });

  it('without extensions there is no SAN, issuer or claim; a critical flag and private raw extensions are fine', () => {
    expect(signerFromCertificateDer(certificate())).toEqual({
      kind: 'certificate',
      fingerprintSha256: sha256(certificate()),
      extensions: {},
      notBefore: '2024-03-19T17:26:26.000Z',
      notAfter: '2024-03-19T17:36:26.000Z',
    });
    const yubikeyFirmware = extension('1.3.6.1.4.1.41482.3.3', Buffer.from([5, 4, 3]));
    const s = signerFromCertificateDer(certificate({ extensions: [extension('2.5.29.19', seq(), true), yubikeyFirmware, san(['email', 'x@y.z'])] }));
    expect(s.san).toBe('x@y.z');
  });
});

describe('signerFromPem', () => {
  it('takes a PEM certificate, or the base64 of one (how Rekor bodies carry it)', () => {
    const text = pem(fulcioCert);
    expect(signerFromPem(text)).toEqual(signerFromCertificateDer(fulcioCert));
    expect(signerFromPem(Buffer.from(text).toString('base64'))).toEqual(signerFromCertificateDer(fulcioCert));
  });

  it('fingerprints a bare SPKI public key; other labels and garbage are the unknown signer', () => {
    expect(signerFromPem(pem(SPKI, 'PUBLIC KEY'))).toEqual({ kind: 'publicKey', fingerprintSha256: sha256(SPKI), extensions: {} });
    expect(signerFromPem(pem(Buffer.concat([SPKI, Buffer.from([0])]), 'PUBLIC KEY')).kind).toBe('unknown');
    expect(signerFromPem(pem(seq(seq(tlv(0x02, Buffer.from([1]))), tlv(0x03, Buffer.from([0]))), 'PUBLIC KEY')).kind).toBe('unknown');
    expect(signerFromPem(pem(SPKI, 'RSA PUBLIC KEY')).kind).toBe('unknown');
    expect(signerFromPem('-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n')).toEqual({ kind: 'unknown', extensions: {} });
    expect(signerFromPem('-----BEGIN CERTIFICATE-----\nMIIB')).toEqual({ kind: 'unknown', extensions: {} });
    expect(signerFromPem('')).toEqual({ kind: 'unknown', extensions: {} });
  });
});

describe('signerFromCertificateDer: what it refuses (the unknown signer, never a throw)', () => {
  const withOuterLength = (der: Buffer, len: Buffer): Buffer => Buffer.concat([der.subarray(0, 1), len, der.subarray(2 + (der[1]! & 0x7f))]);
  const bodyLen = fulcioCert.length - 4; // fulcioCert's outer length is 0x82 HH LL
  const cases: [string, Uint8Array][] = [
    ['trailing bytes after the certificate', Buffer.concat([fulcioCert, Buffer.from([0])])],
    ['a truncated certificate', fulcioCert.subarray(0, fulcioCert.length - 1)],
    ['an empty buffer', Buffer.alloc(0)],
    ['a non-minimal length (leading zero byte)', withOuterLength(fulcioCert, Buffer.from([0x83, 0, bodyLen >> 8, bodyLen & 0xff]))],
    [
      'a long-form length under 128',
      certificate({ extensions: [extension('2.5.29.17', Buffer.from([0x30, 0x81, 0x07, 0x81, 0x05, ...Buffer.from('a@b.c')]))] }),
    ],
    ['an indefinite length (BER)', Buffer.concat([Buffer.from([0x30, 0x80]), fulcioCert.subarray(4), Buffer.from([0, 0])])],
    ['a multi-byte tag', Buffer.concat([Buffer.from([0x3f]), fulcioCert.subarray(1)])],
    ['two instances of a Fulcio extension', certificate({ extensions: [fulcio(8, 'https://a.example'), fulcio(8, 'https://b.example')] })],
    ['two SAN extensions', certificate({ extensions: [san(['email', 'a@x.y']), san(['email', 'b@x.y'])] })],
    ['an impossible date (30 February)', certificate({ notBefore: utcTime('240230000000Z') })],
    ['month 13', certificate({ notAfter: generalizedTime('20241301000000Z') })],
    ['a leap second', certificate({ notAfter: utcTime('241231235960Z') })],
    ['29 February of a non-leap year', certificate({ notBefore: generalizedTime('21000229000000Z') })],
    ['fractional seconds', certificate({ notBefore: generalizedTime('20240101000000.5Z') })],
    ['a local time without Z', certificate({ notBefore: utcTime('2401010000000') })],
    ['a non-ASCII byte in an IA5String SAN', certificate({ extensions: [san(['uri', 'https://acme.example/\u00e9'])] })],
    ['an empty SAN', certificate({ extensions: [extension('2.5.29.17', seq())] })],
    ['a SAN entry that is no GeneralName', certificate({ extensions: [extension('2.5.29.17', seq(tlv(0x89, Buffer.from('x'))))] })],
    ['an empty RFC 5280 extension value', certificate({ extensions: [extension('2.5.29.37', Buffer.alloc(0))] })],
    ['a .8+ claim that is not a DER string', certificate({ extensions: [extension(`${FULCIO}8`, Buffer.from(GH))] })],
    ['a .8+ claim with bytes after its string', certificate({ extensions: [extension(`${FULCIO}8`, Buffer.concat([utf8String(GH), Buffer.from([0])]))] })],
    ['a raw .1–.6 claim that is not UTF-8', certificate({ extensions: [extension(`${FULCIO}1`, Buffer.from([0x68, 0xff]))] })],
    ['an unfinished OID', certificate({ extensions: [Buffer.concat([seq(tlv(0x06, Buffer.from([0x2b, 0x86])), tlv(0x04, utf8String('x')))])] })],
    ['a critical flag of two bytes', certificate({ extensions: [seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff, 0xff])), tlv(0x04, seq()))] })],
    ['an extension with a fourth part', certificate({ extensions: [seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq()), tlv(0x05))] })],
    ['validity with one time', Buffer.from(certificate().toString('hex').replace('301e170d', '300f170d'), 'hex')],
  ];
  it.each(cases)('%s', (_name, der) => {
    expect(signerFromCertificateDer(der)).toEqual({ kind: 'unknown', extensions: {} });
  });

  it('never throws, whatever the bytes', () => {
    for (let n = 0; n < 2000; n++) {
      const junk = Buffer.from(Array.from({ length: n % 97 }, (_, i) => (i * 31 + n * 7) & 0xff));
      junk[0] = 0x30;
      expect(() => signerFromCertificateDer(junk)).not.toThrow();
      expect(() => signerFromPem(pem(junk))).not.toThrow();
    }
  });
});

const rd = realdata();
describe.skipIf(rd.skip)('a real Fulcio certificate (x509/fulcio/python-3.12.5-release.pem, per MANIFEST.md)', () => {
  it('gives the release manager, the Google issuer and the ten-minute validity', () => {
    const s = signerFromPem(readFileSync(join(rd.dir, 'x509/fulcio/python-3.12.5-release.pem'), 'utf8'));
    expect(s).toMatchObject({
      kind: 'certificate',
      san: 'thomas@python.org',
      issuer: 'https://accounts.google.com',
      notBefore: '2024-08-06T20:32:47.000Z',
      notAfter: '2024-08-06T20:42:47.000Z',
    });
  });
});
