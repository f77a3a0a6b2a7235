import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../core/index.js';
import { type RecordedRequest, type RecordingServer, type Reply, startRecordingServer } from '../../../core/testing/index.js';
import { OciClient } from './client.js';
import { OciError } from './errors.js';

/**
 * What no registry we can run here does: token auth (the ggcr and distribution test registries run
 * without auth), a registry that lies about content, and one that fails before it answers. The
 * recording server plays the registry and its token service; real registries are tested in
 * test/oci-client.test.ts.
 */
let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function serve(handler: (req: RecordedRequest, host: string) => Reply): Promise<string> {
  let host = '';
  server = await startRecordingServer((req) => handler(req, host));
  host = new URL(server.url).host;
  return host;
}

const manifestText = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] });
const manifest = Buffer.from(manifestText);
const MANIFEST_TYPE = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };
const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('OciClient edge cases no runnable registry shows', () => {
  it('answers a Bearer challenge: token from the realm with basic credentials for the pull scope, then the request again', async () => {
    const seen: { path: string; auth: string | undefined }[] = [];
    const host = await serve((req, h): Reply => {
      seen.push({ path: req.url, auth: req.headers.authorization });
      if (req.path === '/token') {
        const ok =
          req.headers.authorization === `Basic ${Buffer.from('alice:s3cret').toString('base64')}` && req.query.get('scope') === 'repository:acme/app:pull';
        return ok ? { status: 200, body: { token: 'tok-1', expires_in: 300 } } : { status: 401, body: {} };
      }
      if (req.headers.authorization !== 'Bearer tok-1') {
        return { status: 401, headers: { 'www-authenticate': `Bearer realm="http://${h}/token",service="test",scope="repository:acme/app:pull"` } };
      }
      return { status: 200, headers: { ...MANIFEST_TYPE, 'docker-content-digest': digestOf(manifest) }, body: manifestText };
    });
    const c = new OciClient({ registry: host, credentials: { username: 'alice', password: new Secret('s3cret') } });
    expect((await c.getManifest('acme/app', 'v1')).digest).toBe(digestOf(manifest));
    expect(seen.map((s) => s.path)).toEqual([
      '/v2/acme/app/manifests/v1',
      '/token?service=test&scope=repository%3Aacme%2Fapp%3Apull',
      '/v2/acme/app/manifests/v1',
    ]);
    // The token is reused for the scope: one request, no new token.
    await c.getManifest('acme/app', 'v1');
    expect(seen).toHaveLength(4);
  });

  it('wrong credentials: OCI_UNAUTHORIZED, not retried, and the password is in no message', async () => {
    let requests = 0;
    const host = await serve((req, h): Reply => {
      requests++;
      if (req.path === '/token') return { status: 401 };
      return { status: 401, headers: { 'www-authenticate': `Bearer realm="http://${h}/token",service="test"` } };
    });
    const c = new OciClient({ registry: host, credentials: { username: 'alice', password: new Secret('hunter2-secret') } });
    const err = await c.getManifest('acme/app', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).code).toBe('OCI_UNAUTHORIZED');
    expect(requests).toBe(2);
    expect(JSON.stringify(err) + String(err) + String((err as Error).stack)).not.toContain('hunter2');
  });

  it('content that does not hash to the requested digest is refused (OCI_DIGEST_MISMATCH)', async () => {
    const host = await serve(() => ({ status: 200, headers: MANIFEST_TYPE, body: manifestText }));
    const c = new OciClient({ registry: host });
    await expect(c.getManifest('acme/app', `sha256:${'1'.repeat(64)}`)).rejects.toThrowWithCode(OciError, 'OCI_DIGEST_MISMATCH');
    await expect(c.getBlob('acme/app', `sha256:${'1'.repeat(64)}`, 1024)).rejects.toThrowWithCode(OciError, 'OCI_DIGEST_MISMATCH');
  });

  it('503 and 429 are retried (Retry-After kept) until the registry answers', async () => {
    const statuses = [503, 429];
    const host = await serve((): Reply => {
      const s = statuses.shift();
      const headers: Record<string, string> = s === 429 ? { 'retry-after': '0' } : {};
      if (s !== undefined) return { status: s, headers };
      return { status: 200, headers: MANIFEST_TYPE, body: manifestText };
    });
    const c = new OciClient({ registry: host, retry: { baseDelayMs: 5 } });
    expect((await c.getManifest('acme/app', digestOf(manifest))).digest).toBe(digestOf(manifest));
    expect(statuses).toEqual([]);
  });

  it('plain http only for loopback and insecure registries; a token realm over http elsewhere is refused', async () => {
    const host = await serve(() => ({ status: 401, headers: { 'www-authenticate': 'Bearer realm="http://auth.example.com/token"' } }));
    const c = new OciClient({ registry: host, retry: { maxAttempts: 1 } });
    await expect(c.getManifest('acme/app', 'v1')).rejects.toThrowWithCode(OciError, 'OCI_INSECURE_REFUSED');
    expect(() => new OciClient({ registry: 'bad host/x' })).toThrowWithCode(OciError, 'OCI_BAD_REFERENCE');
  });
});
