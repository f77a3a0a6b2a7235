import { createHash } from 'node:crypto';

/**
 * Pushes a tiny image (one layer, one config, an OCI manifest) to a registry over the plain
 * distribution API with fetch: monolithic blob uploads (POST then PUT ?digest=), then PUT of the
 * manifest under a tag. No auth (the test registry has none). Returns the manifest's digest.
 * The layer's bytes are chosen by the caller, so each push can make a new digest.
 */
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

async function pushBlob(base: string, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const start = await ok(await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' }), 'start upload');
  const location = new URL(start.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  await ok(await fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } }), 'put blob');
  return digest;
}

export async function pushImage(base: string, repo: string, tag: string, layerText: string): Promise<{ digest: string; manifest: Buffer }> {
  const layer = Buffer.from(layerText);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const layerDigest = await pushBlob(base, repo, layer);
  const configDigest = await pushBlob(base, repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  await ok(
    await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    }),
    'put manifest',
  );
  return { digest: sha256(manifest), manifest };
}
