import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ChainwatchError, type HttpRoute, type Logger, type Metrics, noopMetrics } from '../../core/index.js';
import { reply, RouteTable } from './router.js';

/**
 * The daemon's HTTP surface. Built in: /healthz (process alive), /readyz (bus, stores and
 * components ready), /metrics (Prometheus text): unauthenticated, GET/HEAD only. Everything else
 * is a route a capability contributed (core/ports/http-route.ts), checked by the RouteTable.
 *
 * Two listeners: the plain one (http.host:port) serves every route except HTTPS-only ones; the
 * optional TLS one (http.tls) serves all routes and can ask for client certificates (mTLS). The
 * route set can be replaced at runtime (config reload) and the TLS certificate reloaded without
 * a restart. Slow clients cannot hold connections: header, request and keep-alive timeouts and
 * a connection cap are set on both servers.
 */
export interface HttpServerDeps {
  ready: () => { ready: boolean; checks: unknown };
  metrics: () => Promise<{ body: string; contentType: string }>;
  logger: Logger;
  /** Where request counts go (chainwatch_http_requests_total{route,code}). */
  meter?: Metrics;
  /** Tighter limits (tests); the defaults are LIMITS. */
  limits?: Partial<HttpLimits> | undefined;
}

export interface TlsMaterial {
  cert: string;
  key: string;
  /** PEM of the CA that issues client certificates; when set, clients are asked for one (mTLS routes). */
  clientCa?: string;
}

/**
 * The TLS listener's certificate, key or client CA cannot be used: a file is unreadable
 * (TLS_MATERIAL_UNREADABLE) or the PEM is not a certificate and its private key (TLS_MATERIAL_INVALID,
 * a key that does not match the certificate included). A reload that meets it changes nothing.
 */
export type TlsMaterialErrorCode = 'TLS_MATERIAL_UNREADABLE' | 'TLS_MATERIAL_INVALID';
export class TlsMaterialError extends ChainwatchError<TlsMaterialErrorCode> {}

export interface HttpLimits {
  /** Headers must arrive within this long (Slowloris). */
  headersTimeoutMs: number;
  /** The whole request (headers and body) within this long. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed on accept. */
  maxConnections: number;
  /**
   * How often Node looks for requests past the header/request timeouts. Its default is 30 s, so a
   * client dripping header bytes could hold a connection up to 40 s despite the 10 s header limit.
   */
  checkIntervalMs: number;
}

const LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
  checkIntervalMs: 1_000,
};

const BUILT_INS = new Set(['/healthz', '/readyz', '/metrics']);

export class HttpServer {
  private plain: Server | undefined;
  private tls: TlsServer | undefined;
  private plainRoutes: RouteTable;
  private tlsRoutes: RouteTable;
  private routes: readonly HttpRoute[] = [];
  private readonly stopping = new AbortController();
  private readonly requests;
  private readonly limits: HttpLimits;

  constructor(private readonly deps: HttpServerDeps) {
    this.limits = { ...LIMITS, ...deps.limits };
    this.requests = (deps.meter ?? noopMetrics).counter('http_requests_total', 'HTTP requests answered, by route and status code', ['route', 'code']);
    this.plainRoutes = new RouteTable(deps.logger, this.requests);
    this.tlsRoutes = new RouteTable(deps.logger, this.requests);
  }

  /** Replaces every contributed route at once (refuses the whole set if one route is invalid). */
  setRoutes(routes: readonly HttpRoute[]): void {
    this.prepareRoutes(routes)();
  }

  /**
   * Checks a route set and builds its tables without serving them: throws if a route is invalid,
   * else returns the switch-over (which also disposes of the routes it replaces).
   */
  prepareRoutes(routes: readonly HttpRoute[]): () => void {
    const plain = new RouteTable(this.deps.logger, this.requests);
    const tls = new RouteTable(this.deps.logger, this.requests);
    for (const r of routes) {
      if (BUILT_INS.has(r.path)) throw new Error(`route ${r.name}: ${r.path} is built in`);
      tls.add(r);
      if ((r.listener ?? 'any') === 'any') plain.add(r);
    }
    return () => {
      const old = this.routes;
      this.plainRoutes = plain;
      this.tlsRoutes = tls;
      this.routes = routes;
      for (const r of old) {
        r.dispose?.().catch((err: unknown) =>
          this.deps.logger.warn({ route: r.name, err: err instanceof Error ? err.message : String(err) }, 'route cleanup failed'),
        );
      }
    };
  }

  /** Starts the plain listener (and the TLS one when given); returns the bound ports. */
  async start(host: string, port: number, tls?: { host: string; port: number; material: TlsMaterial }): Promise<{ port: number; tlsPort?: number }> {
    const checking = { connectionsCheckingInterval: this.limits.checkIntervalMs };
    const plain = createServer(checking, (req, res) => this.handle(req, res, () => this.plainRoutes));
    this.plain = plain;
    const bound = await listen(limit(plain, this.limits), host, port);
    if (!tls) return { port: bound };
    const secure = createTlsServer({ ...checkedTlsOptions(tls.material), ...checking }, (req, res) => this.handle(req, res, () => this.tlsRoutes));
    this.tls = secure;
    return { port: bound, tlsPort: await listen(limit(secure, this.limits), tls.host, tls.port) };
  }

  /**
   * New certificate, key or client CA for the TLS listener, used from the next handshake on;
   * existing connections keep theirs. Checked first: material that does not make a TLS context
   * throws TlsMaterialError TLS_MATERIAL_INVALID and the listener keeps serving what it had.
   */
  reloadTls(material: TlsMaterial): void {
    const options = checkedTlsOptions(material);
    this.tls?.setSecureContext(options);
  }

  async stop(): Promise<void> {
    this.setRoutes([]);
    this.stopping.abort(new Error('daemon stopping'));
    await Promise.all(
      [this.plain, this.tls].map(async (s) => {
        if (!s) return;
        s.closeIdleConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
    this.plain = undefined;
    this.tls = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse, table: () => RouteTable): void {
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort(new Error('client went away'));
    });
    const signal = AbortSignal.any([aborted.signal, this.stopping.signal]);
    this.route(req, res, table(), signal).catch((err: unknown) => {
      this.deps.logger.error({ err: err instanceof Error ? err.message : String(err), path: safePath(req.url) }, 'http request failed');
      reply(res, 'error', this.requests, { status: 500, body: { error: 'internal error' } }, req.method ?? 'GET');
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, table: RouteTable, signal: AbortSignal): Promise<void> {
    // Origin-form ("/x?y") or absolute-form ("http://h/x") request targets alike.
    const target = req.url ?? '/';
    const path = target.startsWith('/') ? target.split('?')[0]! : safePathOf(target);
    const method = (req.method ?? 'GET').toUpperCase();
    if (BUILT_INS.has(path)) {
      if (method !== 'GET' && method !== 'HEAD') {
        return reply(res, path, this.requests, { status: 405, body: { error: 'method not allowed' }, headers: { allow: 'GET, HEAD' } }, method);
      }
      if (path === '/healthz') return reply(res, path, this.requests, { status: 200, body: { status: 'ok' } }, method);
      if (path === '/readyz') {
        const r = this.deps.ready();
        return reply(res, path, this.requests, { status: r.ready ? 200 : 503, body: { status: r.ready ? 'ready' : 'not ready', checks: r.checks } }, method);
      }
      const m = await this.deps.metrics();
      return reply(res, path, this.requests, { status: 200, body: m.body, contentType: m.contentType }, method);
    }
    if (!(await table.dispatch(req, res, path, signal))) reply(res, 'not-found', this.requests, { status: 404, body: { error: 'not found' } }, method);
  }
}

function limit<S extends Server | TlsServer>(s: S, limits: HttpLimits): S {
  s.headersTimeout = limits.headersTimeoutMs;
  s.requestTimeout = limits.requestTimeoutMs;
  s.keepAliveTimeout = limits.keepAliveTimeoutMs;
  s.maxConnections = limits.maxConnections;
  return s;
}

function tlsOptions(m: TlsMaterial) {
  // requestCert without rejectUnauthorized: a client without a (valid) certificate still gets an
  // HTTP 401 from the mTLS check instead of a bare handshake failure; routes decide.
  return { cert: m.cert, key: m.key, ...(m.clientCa ? { ca: m.clientCa, requestCert: true, rejectUnauthorized: false } : {}), minVersion: 'TLSv1.2' as const };
}

/** tlsOptions that Node accepts (PEM parses, the key matches the certificate), or TLS_MATERIAL_INVALID. */
function checkedTlsOptions(m: TlsMaterial): ReturnType<typeof tlsOptions> {
  const options = tlsOptions(m);
  try {
    createSecureContext(options);
  } catch (err) {
    // OpenSSL's reason (`key values mismatch`, `no start line`) names no secret.
    throw new TlsMaterialError('TLS_MATERIAL_INVALID', `the TLS certificate, key or client CA is not usable: ${(err as Error).message}`, { cause: err });
  }
  return options;
}

async function listen(server: Server | TlsServer, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** The path only: a query string may carry tokens. */
function safePath(url: string | undefined): string {
  return safePathOf(url ?? '/').slice(0, 200);
}

function safePathOf(target: string): string {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return '/';
  }
}
