import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDiscovered, type DiscoveredArtifact, type DiscoveredLayer } from '../trust/index.js';
import { realdata, service } from './helpers/services.js';

/**
 * trust/oci against signatures made by the REAL cosign v3 (scripts/services/cosign.sh builds it),
 * offline: key pair from `cosign generate-key-pair`, no Fulcio/Rekor (--use-signing-config=false
 * --tlog-upload=false). The "image" is a real OCI manifest from ../shared/realdata; its digest is
 * what cosign signs, as it would for a pushed image.
 */
const cosign = service('CHAINWATCH_TEST_COSIGN', 'cosign v3 CLI');
const rd = realdata();
const SIMPLE = 'application/vnd.dev.cosign.simplesigning.v1+json';
const DSSE = 'application/vnd.dsse.envelope.v1+json';
const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const REF = `sha256:${'ee'.repeat(32)}`;

describe.skipIf(cosign.skip || rd.skip)('trust/oci verifies what real cosign v3 signs', () => {
  let dir: string;
  let keys: { name: string; publicKeyPem: string }[];
  let otherKeys: { name: string; publicKeyPem: string }[];
  let image: { digest: string; reference: string };
  const run = (...args: string[]): string =>
    execFileSync(cosign.value!, args, { cwd: dir, env: { ...process.env, COSIGN_PASSWORD: '' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const layer = (mediaType: string, bytes: Buffer, annotations: Record<string, string> = {}): DiscoveredLayer => ({
    mediaType,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    bytes,
    annotations,
  });
  const art = (kind: DiscoveredArtifact['kind'], l: DiscoveredLayer): DiscoveredArtifact => ({
    kind,
    foundBy: 'referrers-tag',
    ref: REF,
    annotations: {},
    layers: [l],
  });
  const vsa = { verifier: { id: 'https://verifier.example' }, verificationResult: 'PASSED', verifiedLevels: ['SLSA_BUILD_LEVEL_2'] };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-cosign-'));
    copyFileSync(join(rd.dir, 'oci/image-spec/image-manifest-example.json'), join(dir, 'manifest.json'));
    image = {
      digest: `sha256:${createHash('sha256')
        .update(readFileSync(join(dir, 'manifest.json')))
        .digest('hex')}`,
      reference: '127.0.0.1:5000/acme/app',
    };
    run('generate-key-pair');
    keys = [{ name: 'release', publicKeyPem: readFileSync(join(dir, 'cosign.pub'), 'utf8') }];
    execFileSync(cosign.value!, ['generate-key-pair', '--output-key-prefix', 'other'], {
      cwd: dir,
      env: { ...process.env, COSIGN_PASSWORD: '' },
      stdio: 'ignore',
    });
    otherKeys = [{ name: 'other', publicKeyPem: readFileSync(join(dir, 'other.pub'), 'utf8') }];
    writeFileSync(join(dir, 'vsa.json'), JSON.stringify(vsa));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const offline = ['--key', 'cosign.key', '--use-signing-config=false', '--tlog-upload=false', '-y'];

  function simpleSigned(digest: string): DiscoveredLayer {
    const payload = Buffer.from(
      JSON.stringify({
        critical: { identity: { 'docker-reference': image.reference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
        optional: null,
      }),
    );
    writeFileSync(join(dir, 'payload.json'), payload);
    run('sign-blob', ...offline, '--new-bundle-format=false', '--output-signature', 'payload.sig', 'payload.json');
    return layer(SIMPLE, payload, { 'dev.cosignproject.cosign/signature': readFileSync(join(dir, 'payload.sig'), 'utf8').trim() });
  }

  it('simple signing (.sig): verified with the cosign key, UNTRUSTED_KEY with another, SUBJECT_MISMATCH for another digest', () => {
    const good = simpleSigned(image.digest);
    expect(verifyDiscovered([art('cosign-signature', good)], image, { keys }).signatures[0]).toMatchObject({
      format: 'cosign',
      verified: true,
      signer: { kind: 'publicKey' },
    });
    expect(verifyDiscovered([art('cosign-signature', good)], image, { keys: otherKeys }).signatures[0]).toMatchObject({
      verified: false,
      errorCode: 'UNTRUSTED_KEY',
    });
    const other = simpleSigned(`sha256:${'0'.repeat(64)}`);
    expect(verifyDiscovered([art('cosign-signature', other)], image, { keys }).signatures[0]).toMatchObject({ verified: false, errorCode: 'SUBJECT_MISMATCH' });
  });

  it('a tampered simple-signing payload does not verify', () => {
    const good = simpleSigned(image.digest);
    const tampered = layer(SIMPLE, Buffer.from(good.bytes.toString().replace('"optional":null', '"optional":{"x":"y"}')), good.annotations);
    expect(verifyDiscovered([art('cosign-signature', tampered)], image, { keys }).signatures[0]).toMatchObject({ verified: false, errorCode: 'UNTRUSTED_KEY' });
  });

  it('DSSE attestation (.att, legacy format): verified, VSA summary parsed', () => {
    const envelope = run(
      'attest-blob',
      ...offline,
      '--new-bundle-format=false',
      '--predicate',
      'vsa.json',
      '--type',
      'https://slsa.dev/verification_summary/v1',
      'manifest.json',
    ).trim();
    const [att] = verifyDiscovered([art('cosign-attestation', layer(DSSE, Buffer.from(envelope)))], image, { keys }).attestations;
    expect(att).toMatchObject({ format: 'cosign', verified: true, subjectMatches: true, predicateType: 'https://slsa.dev/verification_summary/v1' });
    expect(att!.summary).toMatchObject({ verifier: vsa.verifier.id, result: 'PASSED', levels: vsa.verifiedLevels });
    expect(att!.predicate).toEqual(vsa);
  });

  it('Sigstore bundle v0.3 (cosign v3 default): verified with the key; another key UNTRUSTED_KEY; requireTlog TLOG_MISSING', () => {
    run(
      'attest-blob',
      ...offline,
      '--predicate',
      'vsa.json',
      '--type',
      'https://slsa.dev/verification_summary/v1',
      '--bundle',
      'att.bundle.json',
      'manifest.json',
    );
    const l = layer(BUNDLE, readFileSync(join(dir, 'att.bundle.json')));
    expect(verifyDiscovered([art('sigstore-bundle', l)], image, { keys }).attestations[0]).toMatchObject({
      format: 'sigstore-bundle',
      verified: true,
      subjectMatches: true,
    });
    expect(verifyDiscovered([art('sigstore-bundle', l)], image, { keys: otherKeys }).attestations[0]).toMatchObject({
      verified: false,
      errorCode: 'UNTRUSTED_KEY',
    });
    expect(verifyDiscovered([art('sigstore-bundle', l)], image, { keys, requireTlog: true }).attestations[0]).toMatchObject({
      verified: false,
      errorCode: 'TLOG_MISSING',
    });
  });
});
