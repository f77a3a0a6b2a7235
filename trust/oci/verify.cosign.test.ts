import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { foundAttestationSchema, foundSignatureSchema, MAX_INLINE_PREDICATE_BYTES } from '../../core/index.js';
import { realdata } from '../../core/testing/index.js';
import { parseTrustedRoot } from '../trusted-root.js';
import { pae, sha256hex } from './crypto.js';
import type { DiscoveredArtifact, DiscoveredLayer } from './types.js';
import { verifyDiscovered } from './verify.js';

/**
 * cosign's pre-bundle format (.sig / .att tags): keyless material from a REAL Sigstore bundle
 * re-expressed as the annotations cosign writes (certificate + dev.sigstore.cosign/bundle SET), and
 * key-signed payloads made here with fresh ECDSA P-256 keys (what `cosign generate-key-pair` makes)
 * over real predicates from ../shared/realdata.
 */
const rd = realdata();
const file = (p: string): Buffer => readFileSync(join(rd.dir, p));
const IMAGE = { digest: `sha256:${'1f'.repeat(32)}`, reference: '127.0.0.1:5000/acme/app' };
const REF = `sha256:${'cd'.repeat(32)}`;
const SIMPLE = 'application/vnd.dev.cosign.simplesigning.v1+json';
const DSSE = 'application/vnd.dsse.envelope.v1+json';

const artifact = (kind: DiscoveredArtifact['kind'], layer: DiscoveredLayer): DiscoveredArtifact => ({
  kind,
  foundBy: 'tag',
  ref: REF,
  annotations: {},
  layers: [layer],
});
const layer = (mediaType: string, bytes: Buffer, annotations: Record<string, string> = {}): DiscoveredLayer => ({
  mediaType,
  digest: `sha256:${sha256hex(bytes)}`,
  bytes,
  annotations,
});

function keyPair(): { privateKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

function simpleSigning(digest: string, key: KeyObject): DiscoveredLayer {
  const payload = Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': IMAGE.reference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: null,
    }),
  );
  return layer(SIMPLE, payload, { 'dev.cosignproject.cosign/signature': sign('sha256', payload, key).toString('base64') });
}

function dsse(statement: unknown, key: KeyObject): DiscoveredLayer {
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = sign('sha256', pae('application/vnd.in-toto+json', payload), key).toString('base64');
  return layer(
    DSSE,
    Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: payload.toString('base64'), signatures: [{ keyid: '', sig }] })),
  );
}

const statement = (predicateType: string, predicate: unknown, digest = IMAGE.digest): unknown => ({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: IMAGE.reference, digest: { sha256: digest.slice('sha256:'.length) } }],
  predicateType,
  predicate,
});

describe('cosign simple signing with a key', () => {
  const k = keyPair();
  const keys = [{ name: 'release', publicKeyPem: k.pem }];

  it('verifies, with the key id = sha256 of the SPKI DER', () => {
    const [sig] = verifyDiscovered([artifact('cosign-signature', simpleSigning(IMAGE.digest, k.privateKey))], IMAGE, { keys }).signatures;
    expect(foundSignatureSchema.parse(sig)).toEqual(sig);
    expect(sig).toMatchObject({ format: 'cosign', foundBy: 'tag', ref: REF, verified: true });
    const der = Buffer.from(k.pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(sig!.signer).toMatchObject({ kind: 'publicKey', keyId: sha256hex(der) });
  });

  it('another key: UNTRUSTED_KEY', () => {
    const [sig] = verifyDiscovered([artifact('cosign-signature', simpleSigning(IMAGE.digest, keyPair().privateKey))], IMAGE, { keys }).signatures;
    expect(sig).toMatchObject({ verified: false, errorCode: 'UNTRUSTED_KEY' });
  });

  it('a payload about another digest: SUBJECT_MISMATCH', () => {
    const [sig] = verifyDiscovered([artifact('cosign-signature', simpleSigning(`sha256:${'0'.repeat(64)}`, k.privateKey))], IMAGE, { keys }).signatures;
    expect(sig).toMatchObject({ verified: false, errorCode: 'SUBJECT_MISMATCH' });
  });

  it('requireTlog without a log entry: TLOG_MISSING', () => {
    const [sig] = verifyDiscovered([artifact('cosign-signature', simpleSigning(IMAGE.digest, k.privateKey))], IMAGE, { keys, requireTlog: true }).signatures;
    expect(sig).toMatchObject({ verified: false, errorCode: 'TLOG_MISSING' });
  });

  it('a signature annotation missing, or a payload that is not JSON: PAYLOAD_MALFORMED; good ones beside it still verify', () => {
    const good = simpleSigning(IMAGE.digest, k.privateKey);
    const noSig = { ...good, annotations: {} };
    const notJson = layer(SIMPLE, Buffer.from('not json'), good.annotations);
    const out = verifyDiscovered([artifact('cosign-signature', noSig), artifact('cosign-signature', notJson), artifact('cosign-signature', good)], IMAGE, {
      keys,
    });
    expect(out.signatures.map((s) => s.errorCode ?? 'ok')).toEqual(['PAYLOAD_MALFORMED', 'PAYLOAD_MALFORMED', 'ok']);
  });
});

describe.skipIf(rd.skip)('cosign DSSE attestations with a key, over real predicates', () => {
  const k = keyPair();
  const keys = [{ name: 'ci', publicKeyPem: k.pem }];
  const json = (p: string): unknown => JSON.parse(file(p).toString('utf8'));
  const verifyOne = (st: unknown) => verifyDiscovered([artifact('cosign-attestation', dsse(st, k.privateKey))], IMAGE, { keys }).attestations[0]!;

  it('CycloneDX SBOM (Laravel, 62 components): component count and licence set', () => {
    const att = verifyOne(statement('https://cyclonedx.org/bom', json('sbom/cyclonedx/bom-examples/laravel-7.12.0.bom.1.4.json')));
    expect(foundAttestationSchema.parse(att)).toEqual(att);
    expect(att).toMatchObject({ verified: true, subjectMatches: true, predicateType: 'https://cyclonedx.org/bom' });
    expect(att.summary).toMatchObject({ format: 'cyclonedx', componentCount: 62 });
    expect(att.summary.licenses).toContain('MIT');
    // Larger than MAX_INLINE_PREDICATE_BYTES: only the summary and the hash travel.
    expect(att.predicateBytes).toBeGreaterThan(MAX_INLINE_PREDICATE_BYTES);
    expect(att.predicate).toBeUndefined();
  });

  it('SPDX SBOM: package count', () => {
    const doc = json('sbom/spdx/cosign-bom-go-mod.spdx.json') as { packages: unknown[] };
    const att = verifyOne(statement('https://spdx.dev/Document', doc));
    expect(att.summary).toMatchObject({ format: 'spdx', componentCount: doc.packages.length });
  });

  it('cosign vuln predicate: scanner', () => {
    const pred = json('slsa/cosign/vuln-predicate.json') as { scanner: { uri: string } };
    const att = verifyOne(statement('https://cosign.sigstore.dev/attestation/vuln/v1', pred));
    expect(att.summary.scanner).toBe(pred.scanner.uri);
    expect(att.predicate).toEqual(pred);
  });

  it('a statement about another digest: SUBJECT_MISMATCH with subjectMatches=false', () => {
    const att = verifyOne(
      statement(
        'https://slsa.dev/verification_summary/v1',
        { verifier: { id: 'https://v' }, verificationResult: 'PASSED', verifiedLevels: ['SLSA_BUILD_LEVEL_3'] },
        `sha256:${'2'.repeat(64)}`,
      ),
    );
    expect(att).toMatchObject({ verified: false, errorCode: 'SUBJECT_MISMATCH', subjectMatches: false });
    expect(att.summary).toEqual({ verifier: 'https://v', result: 'PASSED', levels: ['SLSA_BUILD_LEVEL_3'] });
  });

  it('a tampered envelope payload: UNTRUSTED_KEY (no trusted key signed these bytes)', () => {
    const l = dsse(statement('https://example.com/p', { a: 1 }), k.privateKey);
    const env = JSON.parse(l.bytes.toString()) as { payload: string };
    env.payload = Buffer.from(JSON.stringify(statement('https://example.com/p', { a: 2 }))).toString('base64');
    const [att] = verifyDiscovered([artifact('cosign-attestation', layer(DSSE, Buffer.from(JSON.stringify(env))))], IMAGE, { keys }).attestations;
    expect(att).toMatchObject({ verified: false, errorCode: 'UNTRUSTED_KEY', predicateType: 'https://example.com/p' });
  });
});

describe.skipIf(rd.skip)('cosign keyless .att (real certificate and Rekor SET as cosign annotations)', () => {
  const bundle = JSON.parse(file('sigstore/cosign/oci-attestation.sigstore.json').toString('utf8')) as {
    verificationMaterial: {
      certificate: { rawBytes: string };
      tlogEntries: {
        logIndex: string;
        logId: { keyId: string };
        integratedTime: string;
        inclusionPromise: { signedEntryTimestamp: string };
        canonicalizedBody: string;
      }[];
    };
    dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string }[] };
  };
  const root = parseTrustedRoot(file('sigstore/cosign/trusted_root_pgi.json').toString('utf8'), 'pgi');
  const subject = (JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString()) as { subject: { digest: { sha256: string } }[] }).subject[0]!
    .digest.sha256;
  const image = { digest: `sha256:${subject}`, reference: '127.0.0.1:60943/repo' };
  const t = bundle.verificationMaterial.tlogEntries[0]!;
  const cert = `-----BEGIN CERTIFICATE-----\n${bundle.verificationMaterial.certificate.rawBytes}\n-----END CERTIFICATE-----\n`;
  const setOf = (over: Partial<{ SignedEntryTimestamp: string; integratedTime: number }> = {}): string =>
    JSON.stringify({
      SignedEntryTimestamp: over.SignedEntryTimestamp ?? t.inclusionPromise.signedEntryTimestamp,
      Payload: {
        body: t.canonicalizedBody,
        integratedTime: over.integratedTime ?? Number(t.integratedTime),
        logIndex: Number(t.logIndex),
        logID: Buffer.from(t.logId.keyId, 'base64').toString('hex'),
      },
    });
  const att = (annotations: Record<string, string>) =>
    verifyDiscovered([artifact('cosign-attestation', layer(DSSE, Buffer.from(JSON.stringify(bundle.dsseEnvelope)), annotations))], image, {
      keys: [],
      trustedRoot: root,
    }).attestations[0]!;

  it('verifies: Fulcio chain, SET against the trusted Rekor key, logged body = this envelope', () => {
    const a = att({ 'dev.sigstore.cosign/certificate': cert, 'dev.sigstore.cosign/bundle': setOf() });
    expect(a).toMatchObject({ format: 'cosign', verified: true, subjectMatches: true, tlog: { verified: true, logIndex: Number(t.logIndex) } });
    expect(a.signer?.kind).toBe('certificate');
  });

  it('a tampered SET: TLOG_INVALID', () => {
    const sig = Buffer.from(t.inclusionPromise.signedEntryTimestamp, 'base64');
    sig[sig.length - 3]! ^= 1;
    expect(
      att({ 'dev.sigstore.cosign/certificate': cert, 'dev.sigstore.cosign/bundle': setOf({ SignedEntryTimestamp: sig.toString('base64') }) }).errorCode,
    ).toBe('TLOG_INVALID');
  });

  // Fulcio certificates live 10 minutes: an hour later the certificate had expired. The certificate
  // is checked at the logged time before the SET (which this change also breaks), so expiry is what is reported.
  it('a logged time after the certificate expired: CERT_EXPIRED', () => {
    expect(
      att({ 'dev.sigstore.cosign/certificate': cert, 'dev.sigstore.cosign/bundle': setOf({ integratedTime: Number(t.integratedTime) + 3600 }) }).errorCode,
    ).toBe('CERT_EXPIRED');
  });

  it('keyless without any log or timestamp evidence: TLOG_MISSING', () => {
    expect(att({ 'dev.sigstore.cosign/certificate': cert }).errorCode).toBe('TLOG_MISSING');
  });
});

describe('cosign v3 `sign` of an image (real referrer, trust/oci/testdata/cosign-v3-sign)', () => {
  const dir = join(import.meta.dirname, 'testdata', 'cosign-v3-sign');
  const manifest = JSON.parse(readFileSync(join(dir, 'referrer-manifest.json'), 'utf8')) as {
    subject: { digest: string };
    layers: { mediaType: string; digest: string }[];
    artifactType: string;
  };
  const bytes = readFileSync(join(dir, 'bundle.json'));
  const art: DiscoveredArtifact = {
    kind: 'sigstore-bundle',
    foundBy: 'referrers',
    ref: `sha256:${sha256hex(readFileSync(join(dir, 'referrer-manifest.json')))}`,
    artifactType: manifest.artifactType,
    annotations: {},
    layers: [{ mediaType: manifest.layers[0]!.mediaType, digest: manifest.layers[0]!.digest, bytes, annotations: {} }],
  };
  const keys = [{ name: 'release', publicKeyPem: readFileSync(join(dir, 'cosign.pub'), 'utf8') }];
  const image = { digest: manifest.subject.digest, reference: '127.0.0.1:29977/acme/app' };

  it('is a signature (predicate cosign/sign/v1), verified with the key, about the image digest', () => {
    const out = verifyDiscovered([art], image, { keys });
    expect(out.attestations).toEqual([]);
    expect(out.signatures[0]).toMatchObject({ format: 'sigstore-bundle', foundBy: 'referrers', verified: true, signer: { kind: 'publicKey' } });
    expect(manifest.layers[0]!.digest).toBe(`sha256:${sha256hex(bytes)}`);
  });

  it('for another image digest: SUBJECT_MISMATCH; with another key: UNTRUSTED_KEY', () => {
    expect(verifyDiscovered([art], { ...image, digest: IMAGE.digest }, { keys }).signatures[0]).toMatchObject({
      verified: false,
      errorCode: 'SUBJECT_MISMATCH',
    });
    expect(verifyDiscovered([art], image, { keys: [{ name: 'x', publicKeyPem: keyPair().pem }] }).signatures[0]).toMatchObject({
      verified: false,
      errorCode: 'UNTRUSTED_KEY',
    });
  });
});
