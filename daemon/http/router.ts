import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { type Counter, describeError, type HttpAuth, type HttpRoute, type Logger, type RouteMethod, type RouteReply, WRITE_METHODS } from '../../core/index.js';
import { authenticate, needsBody } from './auth.js';
import { BodyError, mediaType, readBody } from './body.js';

/**
 * The route table of one listener (find-my-way) and the checks every route gets, in this order:
 *
 *   match (404; 405 + Allow when the path exists for other methods) -> credentials that need no
 *   body (401/403) -> content type (415) -> size (413) -> credentials over the body (HMAC) -> handler
 *
 * so an unauthenticated client cannot make the daemon read a body, and a handler only ever sees
 * requests that passed its route's declared limits.
 */
type Bound = { route: HttpRoute; handler: (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, signal: AbortSignal) => Promise<void> };

const METHODS: readonly RouteMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** True when some request would get through `auth` without credentials. */
function admitsAnonymous(auth: HttpAuth): boolean {
  return auth.kind === 'public' || (auth.kind === 'any' && auth.of.some(admitsAnonymous));
}
function usesMtls(auth: HttpAuth): boolean {
  return auth.kind === 'mtls' || (auth.kind === 'any' && auth.of.some(usesMtls));
}

export class RouteTable {
  // Record ids and digests are long: find-my-way's default limit (100) would turn them into 404s.
  private readonly router = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 2048 });
  private readonly registered = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly requests: Counter,
  ) {}

  /**
   * Registers a route. Refuses a route that writes but admits anonymous callers (also through
   * `any`), an mTLS route that is not HTTPS-only, and a second route on one method and path.
   * A GET route answers HEAD too.
   */
  add(route: HttpRoute): void {
    const declared = typeof route.method === 'string' ? [route.method] : [...route.method];
    if (admitsAnonymous(route.auth) && declared.some((m) => WRITE_METHODS.includes(m))) {
      throw new Error(`route ${route.name}: a route that writes (${declared.join(', ')}) cannot be public`);
    }
    if (usesMtls(route.auth) && route.listener !== 'tls')
      throw new Error(`route ${route.name}: client certificates exist only on the HTTPS listener (listener: 'tls')`);
    const methods = declared.includes('GET') && !declared.includes('HEAD') ? [...declared, 'HEAD' as const] : declared;
    for (const m of methods) {
      const key = `${m} ${route.path}`;
      if (this.registered.has(key)) throw new Error(`route ${route.name}: ${key} is already registered`);
      this.registered.add(key);
      const bound: Bound = { route, handler: (req, res, params, signal) => this.serve(route, req, res, params, signal) };
      this.router.on(m, route.path, () => undefined, bound);
    }
  }

  /** Dispatches a request that no built-in took; false when no route matches the path at all. */
  async dispatch(req: IncomingMessage, res: ServerResponse, path: string, signal: AbortSignal): Promise<boolean> {
    const method = (req.method ?? 'GET').toUpperCase() as RouteMethod;
    try {
      decodeURIComponent(path);
    } catch {
      reply(res, 'path', this.requests, { status: 400, body: { error: 'malformed path' } }, method);
      return true;
    }
    const found = METHODS.includes(method) ? this.router.find(method, path) : null;
    const bound = found?.store as Bound | undefined;
    if (bound) {
      await bound.handler(req, res, found!.params as Record<string, string>, signal);
      return true;
    }
    const allowed = METHODS.filter((m) => (this.router.find(m, path)?.store as Bound | undefined) !== undefined);
    if (allowed.length === 0) return false;
    reply(res, 'method', this.requests, { status: 405, body: { error: 'method not allowed' }, headers: { allow: allowed.join(', ') } }, method);
    return true;
  }

  private async serve(route: HttpRoute, req: IncomingMessage, res: ServerResponse, params: Record<string, string>, signal: AbortSignal): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase() as RouteMethod;
    const send = (r: RouteReply): void => reply(res, route.name, this.requests, r, method);
    // Refused before the body was read: close rather than drain an unauthenticated upload.
    const refuse = (r: RouteReply): void => send(bodyPending(req) ? { ...r, headers: { ...r.headers, connection: 'close' } } : r);
    let auth = authenticate(route.auth, req, undefined);
    if (auth && !auth.ok) return refuse(denied(auth));
    let body: Buffer | undefined;
    if (route.body) {
      const type = mediaType(req.headers['content-type']);
      if (!type || !route.body.contentTypes.includes(type)) {
        return refuse({ status: 415, body: { error: `content type must be ${route.body.contentTypes.join(' or ')}` } });
      }
      try {
        body = await readBody(req, route.body.maxBytes);
      } catch (err) {
        // The rest of the body is left unread: close the connection rather than parse it as a request.
        if (err instanceof BodyError) return send({ status: err.status, body: { error: err.message }, headers: { connection: 'close' } });
        throw err;
      }
    }
    if (!auth) {
      // Only body-dependent credentials (an HMAC) are left; a route without a body cannot satisfy them.
      auth = needsBody(route.auth) && body !== undefined ? authenticate(route.auth, req, body) : undefined;
      if (!auth || !auth.ok) return send(denied(auth && !auth.ok ? auth : { status: 401, error: 'authentication required' }));
    }
    let out: RouteReply;
    try {
      out = await route.handler({
        method,
        params,
        query: new URL(req.url ?? '/', 'http://localhost').searchParams,
        headers: req.headers,
        body,
        principal: auth.principal,
        signal,
      });
    } catch (err) {
      const { code, message } = describeError(err);
      this.logger.error({ route: route.name, code, err: message }, 'http handler failed');
      out = { status: 500, body: { error: 'internal error' } };
    }
    send(out);
  }
}

function bodyPending(req: IncomingMessage): boolean {
  return (
    !req.readableEnded && (req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined)
  );
}

function denied(a: { status: 401 | 403; error: string; challenge?: string }): RouteReply {
  return { status: a.status, body: { error: a.error }, ...(a.challenge ? { headers: { 'www-authenticate': a.challenge } } : {}) };
}

/** Writes a reply (JSON unless the body is a string or Buffer) and counts it by route and status. */
export function reply(res: ServerResponse, route: string, requests: Counter, r: RouteReply, method: string): void {
  requests.inc({ route, code: String(r.status) });
  if (res.headersSent) {
    res.end();
    return;
  }
  const raw = typeof r.body === 'string' || Buffer.isBuffer(r.body);
  const payload = r.body === undefined ? undefined : raw ? (r.body as string | Buffer) : JSON.stringify(r.body);
  const headers: Record<string, string | number> = { ...r.headers };
  if (payload !== undefined) {
    headers['content-type'] = r.contentType ?? (raw ? 'text/plain; charset=utf-8' : 'application/json');
    headers['content-length'] = Buffer.byteLength(payload);
  }
  res.writeHead(r.status, headers);
  res.end(method === 'HEAD' ? undefined : payload);
}
