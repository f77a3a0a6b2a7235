import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { ERROR_BODY_BYTES, HttpClient } from './client.js';
import { TokenBucket } from './token-bucket.js';

/** A local server whose behaviour is chosen by the request path; it records what it received. */
interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let base: string;
const seen: Seen[] = [];

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method!, path: req.url!, headers: req.headers, body });
  const path = req.url!.split('?')[0]!;
  switch (path) {
    case '/json':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    case '/echo':
      res.writeHead(200).end(body);
      return;
    case '/not-json':
      res.writeHead(200).end('proxy login');
      return;
    case '/429':
      res.writeHead(429, { 'retry-after': '7' }).end();
      return;
    case '/503':
      res.writeHead(503).end('down for maintenance');
      return;
    case '/408':
      res.writeHead(408).end();
      return;
    case '/400':
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad field', pad: 'x'.repeat(3 * ERROR_BODY_BYTES) }));
      return;
    case '/redirect':
      res.writeHead(302, { location: '/json' }).end();
      return;
    case '/slow':
      setTimeout(() => res.writeHead(200).end('late'), 2_000).unref();
      return;
    case '/slow-body':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part, ');
      setTimeout(() => res.end('rest'), 2_000).unref();
      return;
    case '/big-declared':
      res.writeHead(200, { 'content-length': String(64 * 1024) }).end('x'.repeat(64 * 1024));
      return;
    case '/big-chunked':
      res.writeHead(200);
      for (let i = 0; i < 16; i++) res.write('y'.repeat(4096));
      res.end();
      return;
    case '/reset-200':
    case '/reset-503':
      res.writeHead(path === '/reset-200' ? 200 : 503, { 'content-length': '1000' });
      res.write('{"ok":');
      setTimeout(() => res.socket?.destroy(), 20).unref();
      return;
    default:
      res.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (over: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient => new HttpClient({ peer: 'sink soc', timeoutMs: 1_000, ...over });
const failure = (p: Promise<unknown>): Promise<HttpError> =>
  p.then(
    () => expect.unreachable('expected the request to fail'),
    (err: unknown) => {
      expect(err).toBeInstanceOf(HttpError);
      return err as HttpError;
    },
  );
/** Nothing of the URL (path token, query, credentials) may reach a message or a cause. */
function expectNoUrl(err: Error, ...secrets: string[]): void {
  const text = JSON.stringify({ m: err.message, c: String(err.cause), cc: String((err.cause as Error | undefined)?.cause) });
  for (const s of ['127.0.0.1', ...secrets]) expect(text).not.toContain(s);
}

describe('HttpClient', () => {
  it('returns a 2xx body as bytes, text and JSON, and sends the defaults', async () => {
    const res = await client({ headers: { 'user-agent': 'chainwatch-test', accept: 'application/json' } }).request({ url: `${base}/json` });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('{"ok":true}');
    expect(res.text).toBe('{"ok":true}');
    expect(res.json()).toEqual({ ok: true });
    const s = seen.at(-1)!;
    expect(s.method).toBe('GET');
    expect(s.headers['user-agent']).toBe('chainwatch-test');
    expect(s.headers.accept).toBe('application/json');
  });

  it('JSON-encodes objects, sends strings and bytes as they are, and lets request headers win', async () => {
    const c = client({ headers: { 'x-default': 'a' } });
    expect((await c.request({ url: `${base}/echo`, body: { a: 1 } })).text).toBe('{"a":1}');
    expect(seen.at(-1)!.method).toBe('POST');
    expect(seen.at(-1)!.headers['content-type']).toBe('application/json');
    expect((await c.request({ url: `${base}/echo`, method: 'PUT', body: '{"exact": "bytes"}', headers: { 'X-Default': 'b' } })).text).toBe(
      '{"exact": "bytes"}',
    );
    expect(seen.at(-1)!.method).toBe('PUT');
    expect(seen.at(-1)!.headers['x-default']).toBe('b');
    await c.request({ url: `${base}/echo`, body: new Uint8Array([104, 105]), headers: { 'content-type': 'application/octet-stream' } });
    expect(seen.at(-1)!.body).toBe('hi');
    expect(seen.at(-1)!.headers['content-type']).toBe('application/octet-stream');
  });

  it('classifies statuses at the edge: 429 and 5xx and 408 retriable with Retry-After, other 4xx not', async () => {
    const limited = await failure(client().request({ url: `${base}/429` }));
    expect(limited.code).toBe('HTTP_RATE_LIMITED');
    expect(limited.retriable).toBe(true);
    expect(limited.retryAfterMs).toBe(7_000);
    expect(limited.status).toBe(429);
    const down = await failure(client().request({ url: `${base}/503` }));
    expect([down.code, down.retriable]).toEqual(['HTTP_SERVER_ERROR', true]);
    const timeout = await failure(client().request({ url: `${base}/408` }));
    expect([timeout.code, timeout.retriable]).toEqual(['HTTP_TIMEOUT', true]);
    const bad = await failure(client().request({ url: `${base}/400`, body: {} }));
    expect([bad.code, bad.retriable, bad.status]).toEqual(['HTTP_CLIENT_ERROR', false, 400]);
    expectNoUrl(bad);
  });

  it('exchange() returns a refusal with the head of its body, for callers that explain it', async () => {
    const c = client();
    const res = await c.exchange({ url: `${base}/400` });
    expect(res.status).toBe(400);
    expect(res.body.length).toBe(ERROR_BODY_BYTES);
    expect(res.text.startsWith('{"error":"bad field"')).toBe(true);
    expect(c.statusError(res).code).toBe('HTTP_CLIENT_ERROR');
  });

  it('refuses redirects by default (not retriable) and follows them when asked', async () => {
    const refused = await failure(client().request({ url: `${base}/redirect` }));
    expect([refused.code, refused.retriable, refused.status]).toEqual(['HTTP_CLIENT_ERROR', false, 302]);
    expect(seen.at(-1)!.path).toBe('/redirect');
    const followed = await client({ redirect: 'follow' }).request({ url: `${base}/redirect` });
    expect(followed.json()).toEqual({ ok: true });
  });

  it('times out per request, before the status line and while reading the body (retriable)', async () => {
    for (const path of ['/slow', '/slow-body']) {
      const err = await failure(client({ timeoutMs: 100 }).request({ url: `${base}${path}?token=SECRET` }));
      expect([err.code, err.retriable]).toEqual(['HTTP_TIMEOUT', true]);
      expectNoUrl(err, 'SECRET');
    }
  });

  it("treats the caller's timeout signal as a timeout and any other abort as unreachable", async () => {
    const c = client({ timeoutMs: undefined });
    const timedOut = await failure(c.request({ url: `${base}/slow`, signal: AbortSignal.timeout(50) }));
    expect(timedOut.code).toBe('HTTP_TIMEOUT');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const aborted = await failure(c.request({ url: `${base}/slow`, signal: ac.signal }));
    expect(aborted.code).toBe('HTTP_UNREACHABLE');
  });

  it('caps the body: a declared or streamed body beyond maxBodyBytes is HTTP_BODY_TOO_LARGE (not retriable)', async () => {
    for (const path of ['/big-declared', '/big-chunked']) {
      const err = await failure(client({ maxBodyBytes: 32 * 1024 }).request({ url: `${base}${path}` }));
      expect([err.code, err.retriable]).toEqual(['HTTP_BODY_TOO_LARGE', false]);
    }
    // A per-request cap overrides the client's.
    expect((await client({ maxBodyBytes: 16 }).request({ url: `${base}/big-chunked`, maxBodyBytes: 1 << 20 })).body.length).toBe(64 * 1024);
  });

  it('reports a body that is not JSON as HTTP_BAD_RESPONSE without quoting it', async () => {
    const res = await client().request({ url: `${base}/not-json` });
    let err: unknown;
    try {
      res.json();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect([(err as HttpError).code, (err as HttpError).retriable]).toEqual(['HTTP_BAD_RESPONSE', false]);
    expectNoUrl(err as Error, 'proxy login');
  });

  it('classifies an unreachable peer as retriable and never puts the URL into the error', async () => {
    const err = await failure(client().request({ url: 'http://127.0.0.1:9/hooks/T0/SECRET?key=QUERYSECRET' }));
    expect([err.code, err.retriable]).toEqual(['HTTP_UNREACHABLE', true]);
    expectNoUrl(err, 'SECRET', 'QUERYSECRET');
    // fetch refuses URLs with credentials, quoting them: the cause must not.
    expectNoUrl(await failure(client().request({ url: 'http://user:pw0rd@127.0.0.1:9/x' })), 'pw0rd');
  });

  it('classifies a connection lost while reading the body as a retriable HttpError without the URL', async () => {
    for (const status of [200, 503]) {
      const err = await failure(client().request({ url: `${base}/reset-${status}?token=SECRET`, body: {} }));
      expect(err.code).toBe('HTTP_UNREACHABLE');
      expect(err.retriable).toBe(true);
      expectNoUrl(err, 'SECRET');
    }
  });

  it('scrubs the URL from a cause even when the fetch error names it', async () => {
    // A response whose body stream fails after the status line arrived, with undici-style causes.
    const resetMidBody =
      (status: number): typeof fetch =>
      async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(new TextEncoder().encode('{"ok":'));
            },
            pull(c) {
              c.error(
                new TypeError('terminated', {
                  cause: Object.assign(new Error('other side closed https://hooks.example/T0/SECRET'), { code: 'UND_ERR_SOCKET' }),
                }),
              );
            },
          }),
          { status },
        );
    for (const status of [200, 503]) {
      const err = await failure(client({ fetch: resetMidBody(status) }).request({ url: 'https://hooks.example/T0/SECRET', body: {} }));
      expect(err.code).toBe('HTTP_UNREACHABLE');
      expect(err.retriable).toBe(true);
      expect(JSON.stringify({ m: err.message, c: String(err.cause) })).not.toContain('SECRET');
    }
  });

  it('waits for a token of its rate limit before each request', async () => {
    const c = client({ rateLimit: new TokenBucket(20, 1) });
    const t0 = performance.now();
    await c.request({ url: `${base}/json` });
    await c.request({ url: `${base}/json` });
    await c.request({ url: `${base}/json` });
    // One token at once, then one per 50 ms.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the rate, and gives up when aborted', async () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    for (let i = 0; i < 3; i++) await bucket.take();
    now += 100; // one token refilled
    await bucket.take();
    const ac = new AbortController();
    const waiting = bucket.take(ac.signal);
    const reason = new Error('stop');
    ac.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});
