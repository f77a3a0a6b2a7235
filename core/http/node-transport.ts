import { Agent as HttpAgent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type SendInit, type Transport, tooLarge, type Wire } from './transport.js';

/**
 * HttpClient's default transport: node:http(s) on keep-alive agents shared by every client of the
 * process (one pool per origin, as undici's global dispatcher gives fetch). Measured against
 * fetch on the Rekor live path (docs/benchmarks-rekor.md): fetch spends most of a small exchange
 * in web streams, Headers, and AbortSignal.timeout/any; here a body is read from 'data' events, a
 * timeout is one timer, the caller's signal one listener, and response headers become a Headers
 * object only when a caller asks for them.
 *
 * What fetch did and this keeps: redirects followed (at most 20; 303, and 301/302 of a POST,
 * become a GET without body; credentials dropped across origins) or returned as they are
 * (`manual`); URLs with credentials refused; gzip/deflate/br bodies decoded (none is asked for);
 * `accept` and `user-agent` sent when the caller sets none.
 */
// HTTP(S)_PROXY/NO_PROXY are honoured when NODE_USE_ENV_PROXY is set, as Node does for fetch and its
// global agents (own agents only see them through proxyEnv). --use-env-proxy alone is not seen here.
const proxyEnv = process.env.NODE_USE_ENV_PROXY === '1' ? process.env : undefined;
// `timeout` closes idle pooled sockets after 4 s (undici's default for fetch) and is what lets the
// agent honour a server's shorter `Keep-Alive: timeout=` hint: without it idle sockets live until the
// server closes them, and a request may race that close (ECONNRESET on a reused socket).
const IDLE_MS = 4_000;
const AGENTS = {
  'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_MS, proxyEnv }),
  'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_MS, proxyEnv }),
};
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
const CROSS_ORIGIN_DROPPED = ['authorization', 'proxy-authorization', 'cookie'];

export const nodeTransport: Transport = (url, init) => {
  const x = new Exchange(init);
  return { response: x.start(url), timedOut: () => x.timedOut };
};

class Exchange {
  timedOut = false;
  private req: ClientRequest | undefined;
  private res: IncomingMessage | undefined;
  /** Rejects whichever step is pending (status line or body) when the timeout or the caller aborts. */
  private fail: ((err: Error) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.abort(named('AbortError', 'aborted'));

  constructor(private readonly init: SendInit) {}

  async start(url: string): Promise<Wire> {
    const { signal, timeoutMs } = this.init;
    if (signal?.aborted) throw named('AbortError', 'aborted');
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.abort(named('TimeoutError', 'timed out'));
      }, timeoutMs);
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    try {
      return await this.follow(new URL(url));
    } catch (err) {
      this.done();
      throw err;
    }
  }

  private abort(err: Error): void {
    this.req?.destroy(err);
    this.res?.destroy(err);
    this.fail?.(err);
  }

  private done(): void {
    if (this.timer) clearTimeout(this.timer);
    this.init.signal?.removeEventListener('abort', this.onAbort);
  }

  private async follow(first: URL): Promise<Wire> {
    let { method, body } = this.init;
    const headers: Record<string, string> = { accept: '*/*', 'user-agent': 'chainwatch', ...this.init.headers };
    let url = first;
    for (let hops = 0; ; hops++) {
      const res = await this.send(url, method, headers, body);
      const location = this.init.redirect === 'follow' && REDIRECTS.has(res.statusCode ?? 0) ? res.headers.location : undefined;
      if (location === undefined) return this.wire(res);
      res.resume(); // drained, so its socket goes back to the pool
      if (hops >= MAX_REDIRECTS) throw named('RedirectError', 'too many redirects');
      const next = new URL(location, url);
      if ((res.statusCode === 303 && method !== 'HEAD') || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      if (next.origin !== url.origin) for (const h of CROSS_ORIGIN_DROPPED) delete headers[h];
      url = next;
    }
  }

  private send(url: URL, method: string, headers: Record<string, string>, body: SendInit['body']): Promise<IncomingMessage> {
    // fetch refuses these too; node:http would turn them into a Basic authorization header.
    if (url.username !== '' || url.password !== '') return Promise.reject(named('TypeError', 'URL carries credentials'));
    const agent = url.protocol === 'https:' ? AGENTS['https:'] : url.protocol === 'http:' ? AGENTS['http:'] : undefined;
    if (!agent) return Promise.reject(named('TypeError', 'unsupported protocol'));
    return new Promise((resolve, reject) => {
      this.fail = reject;
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, agent });
      this.req = req;
      req.on('response', (res) => {
        this.res = res;
        resolve(res);
      });
      // Also after the status line: an 'error' without a listener would crash the process.
      req.on('error', reject);
      req.end(body);
    });
  }

  private wire(res: IncomingMessage): Wire {
    let headers: Headers | undefined;
    return {
      status: res.statusCode ?? 0,
      get headers() {
        return (headers ??= toHeaders(res.headers));
      },
      read: (max, mode, peer) => this.read(res, max, mode, peer).finally(() => this.done()),
    };
  }

  private read(res: IncomingMessage, max: number, mode: 'cap' | 'head', peer: string): Promise<Buffer> {
    const status = res.statusCode ?? 0;
    return new Promise((resolve, reject) => {
      this.fail = reject;
      // Destroyed (timeout, abort) before these listeners existed: no 'error' or 'close' will come.
      if (res.destroyed) {
        reject(named(this.timedOut ? 'TimeoutError' : 'AbortError', this.timedOut ? 'timed out' : 'aborted'));
        return;
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (mode === 'cap' && declared > max) {
        res.destroy();
        reject(tooLarge(peer, status, max, declared));
        return;
      }
      const src = decoded(res);
      const chunks: Buffer[] = [];
      let size = 0;
      let ended = false;
      src.on('data', (c: Buffer) => {
        size += c.length;
        chunks.push(c);
        if (mode === 'cap' && size > max) {
          ended = true;
          res.destroy();
          reject(tooLarge(peer, status, max));
        } else if (mode === 'head' && size >= max) {
          ended = true;
          res.destroy();
          resolve(Buffer.concat(chunks, size).subarray(0, max));
        }
      });
      src.on('end', () => {
        ended = true;
        resolve(Buffer.concat(chunks, size));
      });
      src.on('error', reject);
      src.on('close', () => {
        if (!ended) reject(named('Error', 'connection closed before the body ended'));
      });
    });
  }
}

function decoded(res: IncomingMessage): Readable {
  const enc = res.headers['content-encoding']?.trim().toLowerCase();
  const z = enc === 'gzip' || enc === 'x-gzip' ? createGunzip() : enc === 'br' ? createBrotliDecompress() : enc === 'deflate' ? createInflate() : undefined;
  if (!z) return res;
  res.on('error', (err) => z.destroy(err));
  // A corrupt body fails the decompressor: free the socket too, or it stays paused until the peer closes it.
  z.on('error', () => res.destroy());
  return res.pipe(z);
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (Array.isArray(v)) for (const x of v) h.append(k, x);
    else if (v !== undefined) h.set(k, v);
  }
  return h;
}

/** Errors without a URL in their message: the client keeps only name and code anyway. */
function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}
