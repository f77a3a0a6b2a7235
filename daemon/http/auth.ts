import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { HttpAuth, HttpPrincipal } from '../../core/index.js';

/**
 * The router's authentication hooks, one per HttpAuth kind. Everything that compares a
 * credential does so in constant time over fixed-length digests, so neither the length nor a
 * prefix of a token leaks through timing. Failures say 401 (no or wrong credentials) or 403
 * (authenticated, but not someone this route accepts) and never echo what was sent.
 */
export type AuthOutcome = { ok: true; principal: HttpPrincipal } | { ok: false; status: 401 | 403; error: string; challenge?: string };

const ANONYMOUS: HttpPrincipal = { id: 'anonymous', roles: [] };
const digest = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();
const sameSecret = (a: string | Buffer, b: string | Buffer): boolean => timingSafeEqual(digest(a), digest(b));

/** True when verifying this requirement needs the request body (an HMAC over it). */
export function needsBody(auth: HttpAuth): boolean {
  switch (auth.kind) {
    case 'hmac-sha256':
      return true;
    case 'any':
      return auth.of.some(needsBody);
    case 'public':
    case 'bearer':
    case 'mtls':
      return false;
  }
}

/**
 * Authenticates a request. `body` is undefined before the body was read: requirements that need
 * it then answer `undefined` ("not decidable yet") so that header-only credentials are checked
 * before anything is read from an unauthenticated client.
 */
export function authenticate(auth: HttpAuth, req: IncomingMessage, body: Buffer | undefined): AuthOutcome | undefined {
  switch (auth.kind) {
    case 'public':
      return { ok: true, principal: ANONYMOUS };
    case 'bearer':
      return bearer(auth, req);
    case 'hmac-sha256':
      // Without the signature header there is nothing to check the body against: refuse unread.
      if (headerOf(req, auth.header) === undefined) return { ok: false, status: 401, error: `signature header ${auth.header} required` };
      return body === undefined ? undefined : hmac(auth, req, body);
    case 'mtls':
      return mtls(auth, req);
    case 'any': {
      let undecided = false;
      let failure: AuthOutcome | undefined;
      for (const a of auth.of) {
        const r = authenticate(a, req, body);
        if (r === undefined) undecided = true;
        else if (r.ok) return r;
        else failure ??= r;
      }
      return undecided ? undefined : (failure ?? { ok: false, status: 401, error: 'authentication required' });
    }
  }
}

function bearer(auth: Extract<HttpAuth, { kind: 'bearer' }>, req: IncomingMessage): AuthOutcome {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) return { ok: false, status: 401, error: 'bearer token required', challenge: 'Bearer' };
  // Compare against every token (no early exit), so the time taken does not say which one matched.
  let found: (typeof auth.tokens)[number] | undefined;
  for (const t of auth.tokens) if (sameSecret(m[1]!, t.token.reveal()) && !found) found = t;
  if (!found) return { ok: false, status: 401, error: 'invalid bearer token', challenge: 'Bearer error="invalid_token"' };
  return { ok: true, principal: { id: `bearer:${found.principal}`, roles: found.roles ?? [] } };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name.toLowerCase()];
  return Array.isArray(raw) ? raw[0] : raw;
}

function hmac(auth: Extract<HttpAuth, { kind: 'hmac-sha256' }>, req: IncomingMessage, body: Buffer): AuthOutcome {
  const value = headerOf(req, auth.header);
  const prefix = auth.prefix ?? '';
  if (!value || !value.startsWith(prefix)) return { ok: false, status: 401, error: `signature header ${auth.header} required` };
  const given = value.slice(prefix.length).trim().toLowerCase();
  const expected = createHmac('sha256', auth.secret.reveal()).update(body).digest('hex');
  if (!/^[0-9a-f]{64}$/.test(given) || !sameSecret(given, expected)) return { ok: false, status: 401, error: 'signature does not match the body' };
  return { ok: true, principal: { id: `hmac:${auth.principal}`, roles: [] } };
}

function mtls(auth: Extract<HttpAuth, { kind: 'mtls' }>, req: IncomingMessage): AuthOutcome {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.encrypted || typeof socket.getPeerCertificate !== 'function')
    return { ok: false, status: 401, error: 'client certificate required (HTTPS listener)' };
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return { ok: false, status: 401, error: 'client certificate required' };
  // The listener asks for a certificate but does not abort the handshake without one, so that a
  // client gets an HTTP answer; whether the CA vouched for it is this flag.
  if (!socket.authorized) return { ok: false, status: 401, error: 'client certificate not issued by the configured client CA' };
  const cn = typeof cert.subject?.CN === 'string' ? cert.subject.CN : '';
  if (auth.subjects && !auth.subjects.includes(cn)) return { ok: false, status: 403, error: 'client certificate subject not allowed on this route' };
  return { ok: true, principal: { id: `mtls:CN=${cn}`, roles: [] } };
}
