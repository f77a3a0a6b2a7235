import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../core/index.js';
import { OciClient } from './client.js';
import { OciError } from './errors.js';

/**
 * What no registry we can run here does: token auth (the ggcr and distribution test registries run
 * without auth), a registry that lies about content, and one that fails before it answers. A small
 * node:http server plays the registry and its token service; real registries are tested in
 * test/oci-client.test.ts.
 */
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(handler: (req: IncomingMessage, res: ServerResponse, host: string) => void): Promise<string> {
  server = createServer((req, res) => handler(req, res, `127.0.0.1:${(server!.address() as { port: number }).port}`));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));
const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('OciClient edge cases no runnable registry shows', () => {
  it('answers a Bearer challenge: token from the realm with basic credentials for the pull scope, then the request again', async () => {
    const seen: { path: string; auth: string | undefined }[] = [];
    const host = await serve((req, res, h) => {
      seen.push({ path: req.url!, auth: req.headers.authorization });
      if (req.url!.startsWith('/token')) {
        const u = new URL(req.url!, 'http://x');
        const ok =
          req.headers.authorization === `Basic ${Buffer.from('alice:s3cret').toString('base64')}` && u.searchParams.get('scope') === 'repository:acme/app:pull';
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? JSON.stringify({ token: 'tok-1', expires_in: 300 }) : '{}');
        return;
      }
      if (req.headers.authorization !== 'Bearer tok-1') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${h}/token",service="test",scope="repository:acme/app:pull"` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': digestOf(manifest) }).end(manifest);
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
    const host = await serve((req, res, h) => {
      requests++;
      if (req.url!.startsWith('/token')) return void res.writeHead(401).end();
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${h}/token",service="test"` }).end();
    });
    const c = new OciClient({ registry: host, credentials: { username: 'alice', password: new Secret('hunter2-secret') } });
    const err = await c.getManifest('acme/app', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciError);
    expect((err as OciError).code).toBe('OCI_UNAUTHORIZED');
    expect(requests).toBe(2);
    expect(JSON.stringify(err) + String(err) + String((err as Error).stack)).not.toContain('hunter2');
  });

  it('content that does not hash to the requested digest is refused (OCI_DIGEST_MISMATCH)', async () => {
    const host = await serve((_req, res) => void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest));
    const c = new OciClient({ registry: host });
    await expect(c.getManifest('acme/app', `sha256:${'1'.repeat(64)}`)).rejects.toThrowWithCode(OciError, 'OCI_DIGEST_MISMATCH');
    await expect(c.getBlob('acme/app', `sha256:${'1'.repeat(64)}`, 1024)).rejects.toThrowWithCode(OciError, 'OCI_DIGEST_MISMATCH');
  });

  it('503 and 429 are retried (Retry-After kept) until the registry answers', async () => {
    const statuses = [503, 429];
    const host = await serve((_req, res) => {
      const s = statuses.shift();
      if (s !== undefined) return void res.writeHead(s, s === 429 ? { 'retry-after': '0' } : {}).end();
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
    });
    const c = new OciClient({ registry: host, retry: { baseDelayMs: 5 } });
    expect((await c.getManifest('acme/app', digestOf(manifest))).digest).toBe(digestOf(manifest));
    expect(statuses).toEqual([]);
  });

  it('plain http only for loopback and insecure registries; a token realm over http elsewhere is refused', async () => {
    const host = await serve((_req, res) => void res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://auth.example.com/token"' }).end());
    const c = new OciClient({ registry: host, retry: { maxAttempts: 1 } });
    await expect(c.getManifest('acme/app', 'v1')).rejects.toThrowWithCode(OciError, 'OCI_INSECURE_REFUSED');
    expect(() => new OciClient({ registry: 'bad host/x' })).toThrowWithCode(OciError, 'OCI_BAD_REFERENCE');
  });
});
