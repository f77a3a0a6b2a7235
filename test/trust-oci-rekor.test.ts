import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { discover } from '../collectors/signatures/index.js';
import { OciClient } from '../collectors/shared/oci/index.js';
import { foundSignatureSchema } from '../core/index.js';
import { type DiscoveredArtifact, type TrustedRoot, verifyDiscovered, withLogKeys } from '../trust/index.js';
import { cosign, cosignAttestSbom, cosignKeyPair, cosignSign, ocireg, pushImage, rekorTarget } from './helpers/oci.js';
import { service } from './helpers/services.js';

/**
 * trust/oci checks the transparency-log evidence of KEY-signed cosign signatures and attestations
 * that REAL cosign v3 logged in the REAL local Rekor (scripts/services/rekor.sh, its log key is
 * CHAINWATCH_TEST_REKOR_PUBKEY), pushed to the real ggcr registry (ocireg.sh) and read back by
 * collectors/signatures' discovery: the SET in the `dev.sigstore.cosign/bundle` annotation (.sig/.att
 * tags) and the SET + inclusion proof + checkpoint of a v0.3 bundle (referrers). Trusting that log
 * key gives verified tlog evidence with its integrated time as a timestamp; another log's key, or a
 * tampered SET, gives TLOG_INVALID.
 */
const rekor = service('CHAINWATCH_TEST_REKOR_URL', 'Rekor (transparency log)');
const LIMITS = { maxLayerBytes: 4 * 1024 * 1024, maxReferrers: 32 };

const pemOf = (path: string): string => readFileSync(path, 'utf8');
const foreignLogKey = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
const logIdOf = (pem: string): string =>
  createHash('sha256')
    .update(createPublicKey(pem).export({ format: 'der', type: 'spki' }))
    .digest('hex');

/** A deep copy whose first layer of the given media type had `edit` applied (what a tampering registry would serve). */
function tampered(arts: DiscoveredArtifact[], mediaType: string, edit: (l: DiscoveredArtifact['layers'][number]) => void): DiscoveredArtifact[] {
  const copy = arts.map((a) => ({ ...a, layers: a.layers.map((l) => ({ ...l, annotations: { ...l.annotations }, bytes: Buffer.from(l.bytes) })) }));
  const layer = copy.flatMap((a) => a.layers).find((l) => l.mediaType.startsWith(mediaType));
  if (!layer) throw new Error(`no ${mediaType} layer`);
  edit(layer);
  return copy;
}

// Skips (with the services' own reasons) only when Rekor, the referrers registry or cosign is not running;
// scripts/services/rekor.sh always exports CHAINWATCH_TEST_REKOR_PUBKEY with the log's URL.
describe.skipIf(rekor.skip || ocireg.skip || cosign.skip)('trust/oci verifies Rekor evidence of key-signed cosign signatures', () => {
  it('legacy .sig/.att (SET annotation) and v0.3 bundles (SET + inclusion proof): verified with the log key, TLOG_INVALID otherwise', async () => {
    const host = ocireg.value!;
    const repo = `rekor-${Date.now().toString(36)}/app`;
    const target = rekorTarget(rekor.value!);
    const logPem = pemOf(target.publicKey);
    const [k, legacyDigest, bundleDigest] = await Promise.all([cosignKeyPair(), pushImage(host, repo, 'legacy'), pushImage(host, repo, 'bundle')]);
    await Promise.all([
      cosignSign(`${host}/${repo}@${legacyDigest}`, k.key, true, target),
      cosignAttestSbom(`${host}/${repo}@${legacyDigest}`, k.key, true, undefined, target),
      cosignSign(`${host}/${repo}@${bundleDigest}`, k.key, false, target),
      cosignAttestSbom(`${host}/${repo}@${bundleDigest}`, k.key, false, undefined, target),
    ]);
    const client = new OciClient({ registry: host });
    const keys = [{ name: 'release', publicKeyPem: pemOf(k.pub) }];
    const trusted = withLogKeys(undefined, [{ url: target.url, publicKeyPem: logPem }]);
    // Same URL, another key: a log we do not trust.
    const foreign = withLogKeys(undefined, [{ url: target.url, publicKeyPem: foreignLogKey() }]);
    const check = (arts: DiscoveredArtifact[], digest: string, root: TrustedRoot | undefined, requireTlog = false) =>
      verifyDiscovered(arts, { digest, reference: `${host}/${repo}` }, { keys, requireTlog, ...(root ? { trustedRoot: root } : {}) });

    for (const [digest, format] of [
      [legacyDigest, 'cosign'],
      [bundleDigest, 'sigstore-bundle'],
    ] as const) {
      const found = await discover(client, repo, digest, LIMITS);
      expect(found.errors).toEqual([]);
      const ok = check(found.artifacts, digest, trusted);
      const records = [...ok.signatures, ...ok.attestations];
      expect(records.map((r) => [r.format, r.verified, r.errorCode])).toEqual([
        [format, true, undefined],
        [format, true, undefined],
      ]);
      for (const r of records) {
        expect(foundSignatureSchema.parse(r)).toEqual(foundSignatureSchema.parse({ ...r }));
        expect(r.tlog).toMatchObject({ verified: true, logId: logIdOf(logPem) });
        // The integrated time is the log's, from this run (not a value we wrote).
        const t = Date.parse(r.tlog!.integratedTime!);
        expect(Math.abs(t - Date.now())).toBeLessThan(10 * 60_000);
        expect(r.timestamps).toEqual([r.tlog!.integratedTime]);
        expect(r.signedAt).toBe(r.tlog!.integratedTime);
      }

      // Another log's key: the same evidence does not verify.
      const other = check(found.artifacts, digest, foreign);
      expect([...other.signatures, ...other.attestations].map((r) => [r.verified, r.errorCode])).toEqual([
        [false, 'TLOG_INVALID'],
        [false, 'TLOG_INVALID'],
      ]);
      // No log trusted: the key signature stands, its log evidence is reported unverified (no timestamps);
      // requireTlog then refuses it.
      const none = check(found.artifacts, digest, undefined);
      expect(none.signatures[0]).toMatchObject({ verified: true, tlog: { verified: false }, timestamps: [] });
      expect(check(found.artifacts, digest, undefined, true).signatures[0]).toMatchObject({ verified: false, errorCode: 'TLOG_MISSING' });
    }

    // A SET whose signed payload was altered (integrated time moved by one second): TLOG_INVALID.
    const legacy = (await discover(client, repo, legacyDigest, LIMITS)).artifacts;
    const movedSet = tampered(legacy, 'application/vnd.dev.cosign.simplesigning', (l) => {
      const set = JSON.parse(l.annotations['dev.sigstore.cosign/bundle']!) as { Payload: { integratedTime: number } };
      set.Payload.integratedTime += 1;
      l.annotations['dev.sigstore.cosign/bundle'] = JSON.stringify(set);
    });
    expect(check(movedSet, legacyDigest, trusted).signatures[0]).toMatchObject({ verified: false, errorCode: 'TLOG_INVALID' });
    // A bundle whose SET was replaced by one over other bytes: TLOG_INVALID.
    const bundle = (await discover(client, repo, bundleDigest, LIMITS)).artifacts;
    const forgedSet = tampered(bundle, 'application/vnd.dev.sigstore.bundle', (l) => {
      const json = JSON.parse(Buffer.from(l.bytes).toString('utf8')) as { verificationMaterial: { tlogEntries: { integratedTime: string }[] } };
      const entry = json.verificationMaterial.tlogEntries[0]!;
      entry.integratedTime = String(Number(entry.integratedTime) + 1);
      l.bytes = Buffer.from(JSON.stringify(json));
    });
    const forged = check(forgedSet, bundleDigest, trusted);
    expect([...forged.signatures, ...forged.attestations].filter((r) => !r.verified).map((r) => r.errorCode)).toEqual(['TLOG_INVALID']);
  }, 120_000);
});
