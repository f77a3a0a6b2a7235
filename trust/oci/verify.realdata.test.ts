import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { foundAttestationSchema, foundSignatureSchema } from '../../core/index.js';
import { realdata } from '../../core/testing/index.js';
import { parseTrustedRoot } from '../trusted-root.js';
import type { DiscoveredArtifact } from './types.js';
import { verifyDiscovered } from './verify.js';

// Real Sigstore bundles and SLSA/SBOM documents from ../shared/realdata (MANIFEST.md gives each one's verdict).
const rd = realdata();
const file = (p: string): Buffer => readFileSync(join(rd.dir, p));
const root = (p: string): ReturnType<typeof parseTrustedRoot> => parseTrustedRoot(file(p).toString('utf8'), p);
const BUNDLE_MT = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const REF = `sha256:${'ab'.repeat(32)}`;

function bundleArtifact(bytes: Buffer): DiscoveredArtifact {
  return {
    kind: 'sigstore-bundle',
    foundBy: 'referrers',
    ref: REF,
    artifactType: BUNDLE_MT,
    annotations: {},
    layers: [{ mediaType: BUNDLE_MT, digest: REF, bytes, annotations: {} }],
  };
}

function subjectOf(bundle: Buffer): string {
  const b = JSON.parse(bundle.toString('utf8')) as { dsseEnvelope: { payload: string } };
  const s = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8')) as { subject: { digest: { sha256: string } }[] };
  return `sha256:${s.subject[0]!.digest.sha256}`;
}

describe.skipIf(rd.skip)('verifyDiscovered on real Sigstore bundles', () => {
  it('verifies cosign’s real OCI attestation bundle (expected-valid, PGI root) and parses its statement', () => {
    const bytes = file('sigstore/cosign/oci-attestation.sigstore.json');
    const image = { digest: subjectOf(bytes), reference: '127.0.0.1:60943/repo' };
    const out = verifyDiscovered([bundleArtifact(bytes)], image, { keys: [], trustedRoot: root('sigstore/cosign/trusted_root_pgi.json') });
    expect(out.signatures).toEqual([]);
    const [att] = out.attestations;
    expect(foundAttestationSchema.parse(att)).toEqual(att);
    expect(att).toMatchObject({ format: 'sigstore-bundle', foundBy: 'referrers', ref: REF, verified: true, subjectMatches: true });
    expect(att!.predicateType).toBe('https://cosign.sigstore.dev/attestation/v1');
    expect(att!.signer?.kind).toBe('certificate');
    expect(att!.signer?.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(att!.tlog?.verified).toBe(true);
    expect(att!.signedAt).toBe(att!.tlog?.integratedTime);
  });

  it('the same bundle for another digest is SUBJECT_MISMATCH (the signature itself still checks)', () => {
    const bytes = file('sigstore/cosign/oci-attestation.sigstore.json');
    const out = verifyDiscovered(
      [bundleArtifact(bytes)],
      { digest: `sha256:${'0'.repeat(64)}`, reference: 'x/y' },
      { keys: [], trustedRoot: root('sigstore/cosign/trusted_root_pgi.json') },
    );
    expect(out.attestations[0]).toMatchObject({ verified: false, errorCode: 'SUBJECT_MISMATCH', subjectMatches: false });
  });

  it('keyless without a trusted root is CERT_UNTRUSTED', () => {
    const bytes = file('sigstore/cosign/oci-attestation.sigstore.json');
    const out = verifyDiscovered([bundleArtifact(bytes)], { digest: subjectOf(bytes), reference: 'r' }, { keys: [] });
    expect(out.attestations[0]).toMatchObject({ verified: false, errorCode: 'CERT_UNTRUSTED' });
  });

  const prod = 'sigstore/trusted-roots/prod/trusted_root.json';
  it.each([
    // Upstream's statement has an empty predicateType: the envelope verifies, the statement is unusable.
    ['slsa/slsa-verifier/bundle/valid.intoto.sigstore', false, 'PAYLOAD_MALFORMED'],
    ['slsa/slsa-verifier/bundle/valid-v0.3.intoto.sigstore', true, undefined],
    ['slsa/slsa-verifier/bundle/invalid-set.intoto.sigstore', false, 'TLOG_INVALID'],
  ])('slsa-verifier bundle %s: verified=%s %s', (path, verified, code) => {
    const bytes = file(path);
    const out = verifyDiscovered([bundleArtifact(bytes)], { digest: subjectOf(bytes), reference: 'r' }, { keys: [], trustedRoot: root(prod) });
    const [att] = out.attestations;
    expect(att?.verified).toBe(verified);
    expect(att?.errorCode).toBe(code);
  });

  it('conformance intoto-expired-certificate_fail (issued outside the CA validity in its trusted root): CERT_UNTRUSTED', () => {
    const dir = 'sigstore/conformance/bundle-verify/intoto-expired-certificate_fail';
    const bytes = file(`${dir}/bundle.sigstore.json`);
    const [att] = verifyDiscovered(
      [bundleArtifact(bytes)],
      { digest: subjectOf(bytes), reference: 'r' },
      { keys: [], trustedRoot: root(`${dir}/trusted_root.json`) },
    ).attestations;
    expect(att).toMatchObject({ verified: false, errorCode: 'CERT_UNTRUSTED' });
  });

  it('SLSA v0.2 provenance in a real bundle gets a builder/source summary', () => {
    const bytes = file('slsa/slsa-verifier/bundle/valid-v0.3.intoto.sigstore');
    const [att] = verifyDiscovered([bundleArtifact(bytes)], { digest: subjectOf(bytes), reference: 'r' }, { keys: [], trustedRoot: root(prod) }).attestations;
    expect(att!.predicateType).toBe('https://slsa.dev/provenance/v0.2');
    expect(att!.summary.builderId).toMatch(/^https:\/\/github\.com\/slsa-framework\//);
    expect(att!.summary.sourceRepository).toMatch(/github\.com/);
    expect(att!.summary.materialsCount).toBeGreaterThan(0);
    expect(att!.predicateBytes).toBeGreaterThan(0);
  });

  it.each([
    'slsa/slsa-verifier/github-attestation/MODULE.bazel.intoto.jsonl',
    'slsa/slsa-verifier/gha_delegator/v2.0.0/binary-linux-amd64-workflow_dispatch.build.slsa',
  ])('SLSA v1 provenance in real bundle %s verifies and gets builder, buildType, workflow and dependency facts', (path) => {
    const bytes = Buffer.from(file(path).toString('utf8').trim().split('\n')[0]!);
    const [att] = verifyDiscovered([bundleArtifact(bytes)], { digest: subjectOf(bytes), reference: 'r' }, { keys: [], trustedRoot: root(prod) }).attestations;
    expect(att).toMatchObject({ verified: true, subjectMatches: true, predicateType: 'https://slsa.dev/provenance/v1' });
    expect(att!.summary.builderId).toMatch(/^https:\/\//);
    expect(att!.summary.buildType).toMatch(/^https:\/\//);
    expect(att!.summary.externalParametersPresent).toBe(true);
    expect(typeof att!.summary.resolvedDependenciesCount).toBe('number');
    expect(att!.signer?.github?.repository).toBeTruthy();
  });

  it('a Notation artifact is reported, unverified, with NOTATION_UNSUPPORTED', () => {
    const art: DiscoveredArtifact = {
      kind: 'notation',
      foundBy: 'referrers',
      ref: REF,
      artifactType: 'application/vnd.cncf.notary.signature',
      annotations: {},
      layers: [],
    };
    const [sig] = verifyDiscovered([art], { digest: REF, reference: 'r' }, { keys: [] }).signatures;
    expect(foundSignatureSchema.parse(sig)).toEqual(sig);
    expect(sig).toMatchObject({ format: 'notation', verified: false, errorCode: 'NOTATION_UNSUPPORTED' });
  });

  it('a Notation JWS envelope: the x5c leaf is reported as the (unverified) signer', () => {
    const pem = file('x509/fulcio/cosign-spec-fulcio-2021-cert.pem').toString('utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const jws = Buffer.from(JSON.stringify({ payload: 'e30', protected: 'e30', header: { x5c: [der.toString('base64')] }, signature: 'AA' }));
    const art: DiscoveredArtifact = {
      kind: 'notation',
      foundBy: 'referrers',
      ref: REF,
      artifactType: 'application/vnd.cncf.notary.signature',
      annotations: {},
      layers: [{ mediaType: 'application/jose+json', digest: REF, bytes: jws, annotations: {} }],
    };
    const [sig] = verifyDiscovered([art], { digest: REF, reference: 'r' }, { keys: [] }).signatures;
    expect(sig).toMatchObject({
      format: 'notation',
      verified: false,
      errorCode: 'NOTATION_UNSUPPORTED',
      signer: { kind: 'certificate', san: 'dlorenc@google.com' },
    });
  });

  it('garbage in a bundle layer becomes a PAYLOAD_MALFORMED record, never a throw', () => {
    const out = verifyDiscovered([bundleArtifact(Buffer.from('{"not":"a bundle"}'))], { digest: REF, reference: 'r' }, { keys: [] });
    expect(out.signatures[0]).toMatchObject({ verified: false, errorCode: 'PAYLOAD_MALFORMED' });
  });
});
