import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * The one local HTTP server of the tests: node:http on 127.0.0.1 and a random port, a log of every
 * request (raw body, parsed JSON, the status answered), a handler the test scripts, and scripted
 * faults ("the next N calls answer 429 with Retry-After: 7"). Receiver tests use it as the peer,
 * the service stand-ins (test/standins) put their routes behind it, a proxy records traffic to a
 * real service with it. With `tls` it serves HTTPS (a webhook the Kubernetes API server calls).
 */
export interface RecordedRequest {
  method: string;
  /** The request target as sent (path and query). */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body parsed as JSON, undefined when empty, INVALID_JSON when it is not JSON. */
  json: unknown;
  /** The status answered (0 until answered). */
  status: number;
}

export interface Fault {
  status: number;
  /** Hold the answer this long first (to exercise client timeouts). */
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON, strings as text/plain (a `content-type` header overrides either). */
  body?: unknown;
}

export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

/** Marks a body that was not valid JSON. */
export const INVALID_JSON = Symbol('invalid-json');

export interface RecordingServerOptions {
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  #server: Server | undefined;
  #faults: Fault[] = [];
  #url = '';

  constructor(
    private readonly handler: Handler,
    private readonly options: RecordingServerOptions = {},
  ) {}

  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    const serve = (req: IncomingMessage, res: ServerResponse): void => void this.#serve(req, res);
    const tls = this.options.tls;
    this.#server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, serve) : createServer(serve);
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The next `times` requests get this answer instead of reaching the handler. */
  failNext(times: number, fault: Fault): void {
    for (let i = 0; i < times; i++) this.#faults.push(fault);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://recording-server');
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = INVALID_JSON;
    }
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      json,
      status: 0,
    };
    this.requests.push(rec);
    const fault = this.#faults.shift();
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (res.destroyed) return;
    let reply: Reply;
    if (fault) reply = { status: fault.status, headers: fault.headers ?? {}, body: fault.body ?? '' };
    else {
      try {
        reply = await this.handler(rec);
      } catch (err) {
        reply = { status: 500, body: { error: String(err) } };
      }
    }
    rec.status = reply.status;
    if (res.destroyed) return;
    const isText = typeof reply.body === 'string' || reply.body === undefined;
    const payload = reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', ...reply.headers });
    res.end(reply.status === 204 ? undefined : payload);
  }
}

/** A started RecordingServer answering with `handler` (stop it in afterEach/afterAll). */
export function startRecordingServer(handler: Handler, options: RecordingServerOptions = {}): Promise<RecordingServer> {
  return new RecordingServer(handler, options).start();
}

/** A recording reverse proxy to `target` (path, method, body and content-type pass through); 502 while the target is down. */
export function startRecordingProxy(target: string): Promise<RecordingServer> {
  return startRecordingServer(async (req) => {
    try {
      const up = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: req.body }),
      });
      return { status: up.status, headers: { 'content-type': up.headers.get('content-type') ?? 'text/plain' }, body: await up.text() };
    } catch {
      return { status: 502, body: 'upstream down' };
    }
  });
}
