import { describe, expect, it } from 'vitest';
import { digestTag, OciClient, OciError } from '../collectors/shared/oci/index.js';
import { discover } from '../collectors/signatures/index.js';
import { freePort } from '../core/testing/index.js';
import { attachSbom, countingFetch, ocireg, ociregNoReferrers, pushImage, tagImage } from './helpers/oci.js';

/**
 * The OCI distribution client against REAL registries (scripts/services/ocireg.sh: go-containerregistry's
 * registry with the OCI 1.1 referrers API, and the same registry without it), with images pushed by
 * crane and SBOMs attached as referrers by oras.
 */
const limits = { maxLayerBytes: 1024 * 1024, maxReferrers: 32 };
const repo = (name: string): string => `cw/${name}-${Date.now().toString(36)}`;

describe.skipIf(ocireg.skip)('OCI client against go-containerregistry with the referrers API', () => {
  const host = (): string => ocireg.value!;

  it('reads a manifest by tag and by digest (digest-checked), HEADs it, reads its blobs size-bounded and lists every tag', async () => {
    const r = repo('manifest');
    const digest = await pushImage(host(), r, 'v1');
    await tagImage(host(), r, digest, 'v2');
    await tagImage(host(), r, digest, 'v3');
    const c = new OciClient({ registry: host() });
    const byTag = await c.getManifest(r, 'v1');
    expect(byTag.digest).toBe(digest);
    const byDigest = await c.getManifest(r, digest);
    expect(byDigest.bytes.equals(byTag.bytes)).toBe(true);
    expect(byDigest.manifest.layers).toHaveLength(1);
    expect(await c.headManifest(r, 'v2')).toMatchObject({ digest });
    expect(await c.headManifest(r, 'nope')).toBeUndefined();
    const layer = byDigest.manifest.layers![0]!;
    expect((await c.getBlob(r, layer.digest, 1024 * 1024)).length).toBe(layer.size);
    await expect(c.getBlob(r, layer.digest, layer.size - 1)).rejects.toThrowWithCode(OciError, 'OCI_TOO_LARGE');
    // Page size 1: every tag still arrives exactly once.
    expect((await c.listTags(r, 1)).sort()).toEqual(['v1', 'v2', 'v3']);
    await expect(c.getManifest(r, 'missing')).rejects.toThrowWithCode(OciError, 'OCI_NOT_FOUND');
    await expect(c.getManifest('cw/never-pushed', 'latest')).rejects.toThrowWithCode(OciError, 'OCI_NOT_FOUND');
  });

  it('finds an oras-attached SBOM through the referrers API (foundBy referrers), an unsigned digest has nothing', async () => {
    const r = repo('referrers');
    const digest = await pushImage(host(), r, 'v1');
    const bare = await pushImage(host(), r, 'bare');
    const sbom = await attachSbom(host(), r, digest);
    const c = new OciClient({ registry: host() });
    const refs = await c.referrers(r, digest);
    expect(refs.via).toBe('referrers');
    expect(refs.descriptors.map((d) => d.digest)).toEqual([sbom]);
    const found = await discover(c, r, digest, limits);
    expect(found.errors).toEqual([]);
    expect(found.artifacts).toEqual([
      expect.objectContaining({ kind: 'unknown', foundBy: 'referrers', ref: sbom, artifactType: 'application/vnd.cyclonedx+json' }),
    ]);
    expect(await discover(c, r, bare, limits)).toEqual({ artifacts: [], errors: [] });
  });

  it('a registry that is down: retried with backoff, then a coded retriable error; discovery reports it per path', async () => {
    const port = await freePort();
    const counter = countingFetch();
    const c = new OciClient({ registry: `127.0.0.1:${port}`, retry: { maxAttempts: 3, baseDelayMs: 10 }, fetch: counter.fetch });
    const err = await c.getManifest('cw/x', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { cause?: unknown }).cause).toBeInstanceOf(OciError);
    expect((err as { cause: OciError }).cause.code).toBe('OCI_UNREACHABLE');
    expect(counter.count()).toBe(3);
    const found = await discover(c, 'cw/x', `sha256:${'a'.repeat(64)}`, limits);
    expect(found.artifacts).toEqual([]);
    expect(found.errors.map((e) => e.code).sort()).toEqual(['OCI_UNREACHABLE', 'OCI_UNREACHABLE', 'OCI_UNREACHABLE']);
  });
});

describe.skipIf(ociregNoReferrers.skip)('OCI client against a registry without the referrers API (tag-schema fallback)', () => {
  const host = (): string => ociregNoReferrers.value!;

  it('the API answers 404, the sha256-<hex> index is read instead (foundBy referrers-tag)', async () => {
    const r = repo('fallback');
    const digest = await pushImage(host(), r, 'v1');
    const sbom = await attachSbom(host(), r, digest);
    const counter = countingFetch();
    const c = new OciClient({ registry: host(), fetch: counter.fetch });
    const refs = await c.referrers(r, digest);
    expect(refs).toMatchObject({ via: 'referrers-tag', descriptors: [expect.objectContaining({ digest: sbom })] });
    expect(counter.paths).toEqual([`/v2/${r}/referrers/${digest}`, `/v2/${r}/manifests/${digestTag(digest, '')}`]);
    const found = await discover(c, r, digest, limits);
    expect(found.artifacts).toEqual([expect.objectContaining({ kind: 'unknown', foundBy: 'referrers-tag', ref: sbom })]);
    // No referrers at all: the fallback tag is absent too, which is an answer, not an error.
    const bare = await pushImage(host(), r, 'bare');
    expect(await c.referrers(r, bare)).toEqual({ via: 'referrers-tag', descriptors: [] });
  });
});
