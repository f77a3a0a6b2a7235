import { execFileSync } from 'node:child_process';
import { createHmac, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RouteRequest, type HttpRoute, Secret, silentLogger } from '../../core/index.js';
import { MemoryMetrics } from '../../core/testing/index.js';
import { HttpServer, type TlsMaterial, TlsMaterialError } from './server.js';

const seen: RouteRequest[] = [];
const echo = (name: string, over: Partial<HttpRoute>): HttpRoute => ({
  name,
  method: 'POST',
  path: `/${name}`,
  auth: { kind: 'public' },
  async handler(req) {
    seen.push(req);
    return { status: 202, body: { principal: req.principal.id, bytes: req.body?.length ?? 0, params: req.params } };
  },
  ...over,
});
const TOKEN = 'tok-0123456789';
const HMAC_KEY = 'hmac-key-abcdef';
const routes: HttpRoute[] = [
  echo('records', { method: 'GET', path: '/records/:id', auth: { kind: 'public' } }),
  echo('bearer', {
    auth: { kind: 'bearer', tokens: [{ token: new Secret(TOKEN), principal: 'ops' }] },
    body: { maxBytes: 64, contentTypes: ['application/json'] },
  }),
  echo('github', {
    auth: { kind: 'hmac-sha256', header: 'X-Hub-Signature-256', prefix: 'sha256=', secret: new Secret(HMAC_KEY), principal: 'github' },
    body: { maxBytes: 1024, contentTypes: ['application/json'] },
  }),
  echo('admission', { auth: { kind: 'mtls', subjects: ['kube-apiserver'] }, listener: 'tls', body: { maxBytes: 1024, contentTypes: ['application/json'] } }),
];

let server: HttpServer | undefined;
let meter: MemoryMetrics;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  seen.length = 0;
});

async function start(tls?: TlsMaterial): Promise<{ base: string; tlsPort?: number }> {
  meter = new MemoryMetrics();
  server = new HttpServer({
    ready: () => ({ ready: true, checks: {} }),
    metrics: async () => ({ body: 'm 1\n', contentType: 'text/plain' }),
    logger: silentLogger,
    meter,
  });
  server.setRoutes(routes);
  const p = await server.start('127.0.0.1', 0, tls ? { host: '127.0.0.1', port: 0, material: tls } : undefined);
  return { base: `http://127.0.0.1:${p.port}`, ...(p.tlsPort !== undefined ? { tlsPort: p.tlsPort } : {}) };
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('HttpServer routing', () => {
  it('serves the built-ins to GET/HEAD only (405 with Allow otherwise), 404 for unknown paths', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).headers.get('content-type')).toBe('text/plain');
    const head = await fetch(`${base}/readyz`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    const del = await fetch(`${base}/healthz`, { method: 'DELETE' });
    expect([del.status, del.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('decodes path parameters, answers 405 + Allow for other methods and 400 for a malformed escape', async () => {
    const { base } = await start();
    expect(await (await fetch(`${base}/records/a%20b`)).json()).toMatchObject({ params: { id: 'a b' }, principal: 'anonymous' });
    const post = await fetch(`${base}/records/1`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']); // a GET route answers HEAD too
    expect((await fetch(`${base}/records/%E0%A4%A`)).status).toBe(400);
    expect(meter.get('http_requests_total', { route: 'records', code: '202' })).toBe(1);
  });

  it('bearer: 401 with a challenge without or with a wrong token, then 415 and 413 before the handler', async () => {
    const { base } = await start();
    const none = await fetch(`${base}/bearer`, json({}));
    expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    expect((await fetch(`${base}/bearer`, json({}, { authorization: 'Bearer tok-0123456788' }))).status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${base}/bearer`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await fetch(`${base}/bearer`, json({ pad: 'x'.repeat(100) }, auth))).status).toBe(413);
    const ok = await fetch(`${base}/bearer`, json({ a: 1 }, { ...auth, 'content-type': 'application/json; charset=utf-8' }));
    expect([ok.status, await ok.json()]).toEqual([202, { principal: 'bearer:ops', bytes: 7, params: {} }]);
    expect(seen).toHaveLength(1); // nothing refused reached the handler
  });

  it('413 also for a chunked body without Content-Length that grows past the limit', async () => {
    const { base } = await start();
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(20)));
        c.close();
      },
    });
    const res = await fetch(`${base}/bearer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect(seen).toHaveLength(0);
  });

  it('refuses unauthenticated uploads without reading them, and closes the connection', async () => {
    const { base } = await start();
    const noToken = await fetch(`${base}/bearer`, json({ pad: 'x'.repeat(40) }));
    expect([noToken.status, noToken.headers.get('connection')]).toEqual([401, 'close']);
    const noSignature = await fetch(`${base}/github`, json({ a: 1 }));
    expect([noSignature.status, noSignature.headers.get('connection')]).toEqual([401, 'close']);
    const head = await fetch(`${base}/records/7`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([202, '']); // a GET route answers HEAD, without a body
    expect(seen).toHaveLength(1);
  });

  it('HMAC-SHA256 over the exact body bytes (GitHub style); a wrong or missing signature is 401', async () => {
    const { base } = await start();
    const body = '{"action":"published"}';
    const sig = `sha256=${createHmac('sha256', HMAC_KEY).update(body).digest('hex')}`;
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/github`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-hub-signature-256': sig.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })).status).toBe(401);
    expect((await post({ 'x-hub-signature-256': 'sha256=zz' })).status).toBe(401);
    const ok = await post({ 'x-hub-signature-256': sig });
    expect([ok.status, ((await ok.json()) as { principal: string }).principal]).toEqual([202, 'hmac:github']);
  });

  it('refuses a public route that writes, and two routes on one method and path', () => {
    const s = new HttpServer({
      ready: () => ({ ready: true, checks: {} }),
      metrics: async () => ({ body: '', contentType: 'text/plain' }),
      logger: silentLogger,
    });
    expect(() => s.setRoutes([echo('w', { auth: { kind: 'public' } })])).toThrow(/cannot be public/);
    expect(() => s.setRoutes([routes[0]!, { ...routes[0]!, name: 'again' }])).toThrow(/already registered/);
    expect(() => s.setRoutes([{ ...routes[0]!, path: '/healthz' }])).toThrow(/built in/);
  });
});

describe('HttpServer TLS listener and mTLS', () => {
  let pki: {
    dir: string;
    server: TlsMaterial;
    client: { cert: string; key: string };
    other: { cert: string; key: string };
    stranger: { cert: string; key: string };
  };
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-pki-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ca = (name: string) =>
      ssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
      );
    const leaf = (name: string, cn: string, issuer: string, ext: string) => {
      ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${issuer}.pem`,
        '-CAkey',
        `${issuer}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        ext,
      );
    };
    ssl('version');
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > srv.ext; printf "extendedKeyUsage=clientAuth\\n" > cli.ext'], { cwd: dir });
    ca('ca');
    ca('other-ca');
    leaf('server', '127.0.0.1', 'ca', 'srv.ext');
    leaf('client', 'kube-apiserver', 'ca', 'cli.ext');
    leaf('nosy', 'someone-else', 'ca', 'cli.ext');
    leaf('stranger', 'kube-apiserver', 'other-ca', 'cli.ext');
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    const pair = (n: string) => ({ cert: read(`${n}.pem`), key: read(`${n}.key`) });
    pki = { dir, server: { ...pair('server'), clientCa: read('ca.pem') }, client: pair('client'), other: pair('nosy'), stranger: pair('stranger') };
  });

  function tlsPost(port: number, path: string, who: { cert: string; key: string } | undefined): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          ca: readFileSync(join(pki.dir, 'ca.pem')),
          headers: { 'content-type': 'application/json' },
          ...(who ?? {}),
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end('{"kind":"AdmissionReview"}');
    });
  }

  it('serves HTTPS-only routes on the TLS listener alone, and authenticates client certificates', async () => {
    const { base, tlsPort } = await start(pki.server);
    expect((await fetch(`${base}/admission`, json({}))).status).toBe(404); // not on the plain listener
    expect((await tlsPost(tlsPort!, '/admission', undefined)).status).toBe(401);
    expect((await tlsPost(tlsPort!, '/admission', pki.stranger)).status).toBe(401); // not issued by the client CA
    expect((await tlsPost(tlsPort!, '/admission', pki.other)).status).toBe(403); // right CA, subject not allowed
    const ok = await tlsPost(tlsPort!, '/admission', pki.client);
    expect([ok.status, (JSON.parse(ok.body) as { principal: string }).principal]).toEqual([202, 'mtls:CN=kube-apiserver']);
    expect((await tlsPost(tlsPort!, '/records/7', pki.client)).status).toBe(405); // every route is on the TLS listener too
  });

  it('reloads the certificate without a restart', async () => {
    const { tlsPort } = await start(pki.server);
    server!.reloadTls({ ...pki.server, clientCa: readFileSync(join(pki.dir, 'other-ca.pem'), 'utf8') });
    expect((await tlsPost(tlsPort!, '/admission', pki.client)).status).toBe(401); // the old client CA no longer vouches
    expect((await tlsPost(tlsPort!, '/admission', pki.stranger)).status).toBe(202);
  });

  /** The SHA-256 fingerprint of the certificate the listener presents on a new handshake. */
  const served = (port: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate().fingerprint256);
        s.end();
      });
      s.on('error', reject);
    });
  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

  it('serves a new certificate from the next handshake, and keeps the old one when the new pair is not usable', async () => {
    const { tlsPort } = await start(pki.server);
    expect(await served(tlsPort!)).toBe(fingerprint(pki.server.cert));
    server!.reloadTls(pki.other);
    expect(await served(tlsPort!)).toBe(fingerprint(pki.other.cert));
    expect(() => server!.reloadTls({ cert: pki.server.cert, key: pki.client.key })).toThrowWithCode(TlsMaterialError, 'TLS_MATERIAL_INVALID');
    expect(() => server!.reloadTls({ cert: 'not a certificate', key: pki.server.key })).toThrowWithCode(TlsMaterialError, 'TLS_MATERIAL_INVALID');
    expect(await served(tlsPort!)).toBe(fingerprint(pki.other.cert));
  });
});

describe('HttpServer connection limits', () => {
  const limited = async (limits: ConstructorParameters<typeof HttpServer>[0]['limits']): Promise<number> => {
    server = new HttpServer({
      ready: () => ({ ready: true, checks: {} }),
      metrics: async () => ({ body: '', contentType: 'text/plain' }),
      logger: silentLogger,
      limits,
    });
    return (await server.start('127.0.0.1', 0)).port;
  };
  const closed = (s: Socket): Promise<number> => {
    const t0 = Date.now();
    return new Promise((resolve) => s.once('close', () => resolve(Date.now() - t0)));
  };

  it('drops a client that sends its headers byte by byte once the header timeout passes', async () => {
    const port = await limited({ headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    await once(s, 'connect');
    const gone = closed(s);
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    // A byte every 50 ms: always "making progress", never finishing the headers (Slowloris).
    const drip = setInterval(() => s.writable && s.write('a'), 50);
    let answer = '';
    s.on('data', (d: Buffer) => (answer += d.toString()));
    try {
      // Node checks header timeouts only every connectionsCheckingInterval (default 30 s): without
      // a short interval the client would hold the connection far past the 500 ms limit.
      expect(await Promise.race([gone, new Promise<number>((r) => setTimeout(() => r(-1), 4000))])).toBeGreaterThan(0);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
      s.destroy();
    }
  });

  it('refuses connections past the cap and accepts again once one closes', async () => {
    const port = await limited({ maxConnections: 2 });
    const open = async (): Promise<{ s: Socket; gone: Promise<number> }> => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      const gone = closed(s);
      await once(s, 'connect');
      return { s, gone };
    };
    const { s: a } = await open();
    const { s: b } = await open();
    const c = await open();
    // The third is closed by the server at once, without an answer.
    expect(await Promise.race([c.gone, new Promise<number>((r) => setTimeout(() => r(-1), 2000))])).toBeGreaterThanOrEqual(0);
    expect([a.destroyed, b.destroyed]).toEqual([false, false]);
    a.destroy();
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200), { timeout: 5000, interval: 50 });
    b.destroy();
  });
});
