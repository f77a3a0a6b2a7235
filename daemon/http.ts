import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/index.js';

/**
 * The daemon's HTTP surface: /healthz (process alive), /readyz (bus, stores and components ready),
 * /metrics (Prometheus text), plus routes other parts register (audit records, webhooks).
 */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface HttpDeps {
  ready: () => { ready: boolean; checks: unknown };
  metrics: () => Promise<{ body: string; contentType: string }>;
  logger: Logger;
}

export class HttpServer {
  private server: Server | undefined;
  private readonly routes = new Map<string, Route>();

  constructor(private readonly deps: HttpDeps) {}

  /** Registers a handler for an exact path or a prefix ending in '/'. */
  route(path: string, handler: Route): void {
    this.routes.set(path, handler);
  }

  async start(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.deps.logger.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'http handler failed');
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
        else res.end();
      });
    });
    server.keepAliveTimeout = 5_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeIdleConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    switch (url.pathname) {
      case '/healthz':
        return send(res, 200, { status: 'ok' });
      case '/readyz': {
        const r = this.deps.ready();
        return send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks });
      }
      case '/metrics': {
        const m = await this.deps.metrics();
        res.writeHead(200, { 'content-type': m.contentType });
        res.end(m.body);
        return;
      }
    }
    const exact = this.routes.get(url.pathname);
    if (exact) return exact(req, res, url);
    for (const [path, handler] of this.routes) if (path.endsWith('/') && url.pathname.startsWith(path)) return handler(req, res, url);
    send(res, 404, { error: 'not found' });
  }
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
