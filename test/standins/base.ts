import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Shared plumbing of the stand-in servers: node:http on 127.0.0.1 and a random port, a log of
 * every request, and scripted faults ("the next N calls answer 429 with Retry-After: 7").
 * Each service file adds its routes, its contract checks and its state.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  json: unknown;
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
  /** Objects are sent as JSON, strings as text/plain. */
  body?: unknown;
}

export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

export class StandinServer {
  readonly requests: RecordedRequest[] = [];
  #server: Server | undefined;
  #faults: Fault[] = [];
  #url = '';

  constructor(private readonly handler: Handler) {}

  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#serve(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The next `times` requests get this answer instead of reaching the service logic. */
  failNext(times: number, fault: Fault): void {
    for (let i = 0; i < times; i++) this.#faults.push(fault);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://standin');
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = INVALID_JSON;
    }
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, json };
    this.requests.push(rec);
    const fault = this.#faults.shift();
    let reply: Reply;
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (res.destroyed) return;
    if (fault) reply = { status: fault.status, headers: fault.headers ?? {}, body: fault.body ?? '' };
    else {
      try {
        reply = await this.handler(rec);
      } catch (err) {
        reply = { status: 500, body: { error: String(err) } };
      }
    }
    const isText = typeof reply.body === 'string' || reply.body === undefined;
    const payload = reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      ...reply.headers,
    });
    res.end(reply.status === 204 ? undefined : payload);
  }
}

/**
 * The lifecycle every service stand-in shares: one StandinServer routed to the subclass's
 * `handle`, start/stop, and reset (subclasses extend it to drop their own state too).
 */
export abstract class Standin {
  readonly server: StandinServer;

  constructor() {
    // Bound lazily: subclass fields are initialised only after this constructor returns.
    this.server = new StandinServer((req) => this.handle(req));
  }
  async start(): Promise<this> {
    await this.server.start();
    return this;
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
  /** Forgets the request log; subclasses also clear their state. */
  reset(): void {
    this.server.requests.length = 0;
  }

  protected abstract handle(req: RecordedRequest): Reply | Promise<Reply>;
}

/** Marks a body that was not valid JSON. */
export const INVALID_JSON = Symbol('invalid-json');

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
