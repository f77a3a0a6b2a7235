import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { describe, expect, it } from 'vitest';
import { signerFromCertificateDer, signerFromPem } from './identity.js';
import { pem } from './testing/der.js';
import { realX509 } from './testing/realdata-x509.js';
import { referenceKeySigner, referenceSigner } from './testing/x509-reference.js';
import { realdata } from '../core/testing/index.js';

/**
 * Differential test of the identity walker against real X.509 parsers over EVERY certificate and
 * SPKI key in the shared real data (PEM and DER files, bundles' certificates and chains, trusted
 * roots, Rekor entries' bodies): the Signer it returns must equal the one @peculiar/x509 yields
 * (trust/testing/x509-reference.ts), field by field; where the reference refuses a certificate,
 * the walker must refuse it too. @sigstore/core's X509Certificate is a second opinion on validity,
 * SAN and which Fulcio extensions are present.
 */
const rd = realdata();
const corpus = rd.skip ? { certificates: [], keys: [] } : realX509(rd.dir);
const refused = (f: () => unknown): unknown => {
  try {
    return f();
  } catch {
    return 'refused';
  }
};

// Refused by the reference and the walker alike, both deliberately broken upstream: an empty
// extKeyUsage value, and the certificate in a conformance bundle whose logged body was modified.
const REFUSED_BY_BOTH = [
  'x509/malformed/xf-ext-extended-key-usage-empty.pem',
  'sigstore/conformance/bundle-verify/bundle-invalid-base64-signature_fail/bundle.sigstore.json.verificationMaterial.tlogEntries[0].canonicalizedBody.spec.signature.publicKey.content',
];

describe.skipIf(rd.skip)('identity walker vs @peculiar/x509 over every real certificate', () => {
  it('finds the corpus (bundles, Rekor entries and their bodies, PEM and DER files)', () => {
    expect(corpus.certificates.length).toBeGreaterThanOrEqual(95);
    expect(corpus.keys.length).toBeGreaterThanOrEqual(30);
    const where = corpus.certificates.map((c) => c.where).join('\n');
    for (const part of ['verificationMaterial', 'canonicalizedBody', 'rekor-response', 'x509/fulcio/', 'sigstore-java/certs/', 'slsa-verifier'])
      expect(where).toContain(part);
  });

  for (const c of corpus.certificates) {
    it(c.where, () => {
      const ref = refused(() => referenceSigner(c.der));
      const walked = signerFromCertificateDer(c.der);
      expect(signerFromPem(pem(c.der))).toEqual(walked);
      if (ref === 'refused') {
        expect(walked).toEqual({ kind: 'unknown', extensions: {} });
        expect(REFUSED_BY_BOTH).toContain(c.where);
        return;
      }
      expect(walked).toEqual(ref);
      const sg = SigstoreX509.parse(Buffer.from(c.der));
      expect([walked.notBefore, walked.notAfter]).toEqual([sg.notBefore.toISOString(), sg.notAfter.toISOString()]);
      expect(walked.san).toEqual(sg.subjectAltName);
      for (const oid of Object.keys(walked.extensions)) expect(sg.extension(oid), oid).toBeDefined();
    });
  }

  it('refuses exactly the known-broken ones', () => {
    const unknown = corpus.certificates.filter((c) => signerFromCertificateDer(c.der).kind === 'unknown').map((c) => c.where);
    expect(unknown.sort()).toEqual([...REFUSED_BY_BOTH].sort());
  });
});

describe.skipIf(rd.skip)('identity walker vs @peculiar/x509 over every real public key', () => {
  for (const k of corpus.keys) {
    it(k.where, () => {
      expect(signerFromPem(pem(k.der, 'PUBLIC KEY'))).toEqual(referenceKeySigner(k.der));
    });
  }
});
