import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HttpError } from '../errors.js';
import { HttpClient } from './client.js';

/**
 * What the node:http transport must keep of fetch's behaviour (client.test.ts covers the client's
 * classification through it): redirect rules, credential dropping across origins, connection
 * reuse, decoding, and no listener left on a long-lived caller signal.
 */
interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  port: number;
}
const seen: Seen[] = [];
const servers: Server[] = [];
let a: string;
let b: string;
let badGzipSocketClosed = false;

function serve(): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString(), port: req.socket.remotePort! });
      const path = req.url!.split('?')[0]!;
      if (path === '/303') res.writeHead(303, { location: '/echo' }).end();
      else if (path === '/307') res.writeHead(307, { location: '/echo' }).end();
      else if (path === '/elsewhere') res.writeHead(302, { location: `${b}/echo` }).end();
      else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else if (path === '/gzip') res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('{"zipped":true}'));
      else if (path === '/badgzip') {
        // A corrupt gzip body on a response the server never ends: only the client can free the socket.
        req.socket.once('close', () => (badGzipSocketClosed = true));
        res.writeHead(200, { 'content-encoding': 'gzip' }).write(Buffer.from('this is not gzip at all'));
      } else res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] }).end(JSON.stringify({ method: req.method }));
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  a = await serve();
  b = await serve();
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const client = (redirect: 'follow' | 'refuse' = 'follow'): HttpClient => new HttpClient({ peer: 'peer', timeoutMs: 2_000, redirect });

describe('node:http transport', () => {
  it('turns a POST into a GET without body on 303, and keeps method and body on 307', async () => {
    expect((await client().request({ url: `${a}/303`, body: { x: 1 } })).json()).toEqual({ method: 'GET' });
    expect([seen.at(-1)!.body, seen.at(-1)!.headers['content-type']]).toEqual(['', undefined]);
    expect((await client().request({ url: `${a}/307`, body: { x: 1 } })).json()).toEqual({ method: 'POST' });
    expect(seen.at(-1)!.body).toBe('{"x":1}');
  });

  it('drops credentials on a redirect to another origin, and stops after 20 redirects', async () => {
    await client().request({ url: `${a}/elsewhere`, headers: { authorization: 'Bearer T0K3N', 'x-kept': 'yes' } });
    const last = seen.at(-1)!;
    expect(last.path).toBe('/echo');
    expect([last.headers.authorization, last.headers['x-kept']]).toEqual([undefined, 'yes']);
    const err = await client()
      .request({ url: `${a}/loop` })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HTTP_UNREACHABLE', retriable: true });
  });

  it('reuses one keep-alive connection for sequential requests, and sends accept and user-agent defaults', async () => {
    const c = client();
    await c.request({ url: `${a}/one` });
    await c.request({ url: `${a}/two` });
    const [x, y] = seen.slice(-2);
    expect(x!.port).toBe(y!.port);
    expect([y!.headers.accept, y!.headers['user-agent']]).toEqual(['*/*', 'chainwatch']);
  });

  it('decodes a gzip body, and exposes repeated headers as fetch did', async () => {
    expect((await client().request({ url: `${a}/gzip` })).json()).toEqual({ zipped: true });
    const res = await client().request({ url: `${a}/json` });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it('a corrupt compressed body fails the request and frees its socket at once (not when the server gives up)', async () => {
    const err = await client()
      .request({ url: `${a}/badgzip` })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ code: 'HTTP_UNREACHABLE' });
    await vi.waitFor(() => expect(badGzipSocketClosed).toBe(true), { timeout: 1_000 });
  });

  it('leaves no abort listener on the caller signal once a request is done', async () => {
    const ac = new AbortController();
    const c = client();
    for (let i = 0; i < 20; i++) await c.request({ url: `${a}/json`, signal: ac.signal });
    await c.request({ url: `http://127.0.0.1:9/x`, signal: ac.signal }).catch(() => undefined);
    // Node counts listeners of an EventTarget through events.getEventListeners.
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
