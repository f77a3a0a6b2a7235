import type { IncomingHttpHeaders } from 'node:http';
import type { Secret } from '../secret.js';

/**
 * HTTP routes that capabilities contribute to the daemon's server (audit records, webhooks,
 * Kubernetes admission, the operator API). A route is data plus a handler; the daemon's router
 * enforces what the data says before the handler runs, so every capability gets the same body
 * limits, content-type checks and authentication:
 *
 *   method/path match (404, or 405 with Allow) -> listener check (HTTPS-only routes: 421)
 *   -> authentication (401 / 403) -> content type (415) -> body size (413) -> handler
 *
 * Handlers return a reply instead of writing to the socket: they stay small and unit-testable.
 */
export type RouteMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Methods that change state: a route with one of them can never be `public`. */
export const WRITE_METHODS: readonly RouteMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Who may call a route. There is no default: a route states its authentication, and anything
 * that writes is authenticated (the router refuses to register a public write route).
 */
export type HttpAuth =
  /** No authentication, said explicitly (read-only routes only). */
  | { kind: 'public' }
  /** `Authorization: Bearer <token>`; each token names the principal it authenticates. */
  | { kind: 'bearer'; tokens: readonly { token: Secret; principal: string; roles?: readonly string[] }[] }
  /**
   * An HMAC-SHA256 of the raw body in a header, hex (GitHub's `X-Hub-Signature-256: sha256=<hex>`
   * is `{ header: 'x-hub-signature-256', prefix: 'sha256=' }`). Compared in constant time.
   */
  | { kind: 'hmac-sha256'; header: string; prefix?: string; secret: Secret; principal: string }
  /** A client certificate the TLS listener verified against its client CA; `subjects` narrows it to these subject CNs. */
  | { kind: 'mtls'; subjects?: readonly string[] }
  /** The first requirement that the request satisfies authenticates it. */
  | { kind: 'any'; of: readonly HttpAuth[] };

/** Which listener a route is served on: `tls` routes (admission webhooks) are HTTPS only. */
export type HttpListener = 'any' | 'tls';

export interface HttpPrincipal {
  /** e.g. "bearer:ops-team", "hmac:github", "mtls:CN=kube-apiserver", "anonymous". */
  id: string;
  roles: readonly string[];
}

export interface RouteRequest {
  method: RouteMethod;
  /** Decoded path parameters (`/audit/records/:id` -> { id }). */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The raw body (routes with a `body` spec only), already within its size limit. */
  body: Buffer | undefined;
  principal: HttpPrincipal;
  /** Aborted when the client goes away or the daemon stops. */
  signal: AbortSignal;
}

export interface RouteReply {
  status: number;
  /** JSON-encoded unless it is a Buffer or a string (then sent as is with `contentType`). */
  body?: unknown;
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
}

export interface HttpRoute {
  /** Stable name for logs and metrics, e.g. "audit.record". */
  name: string;
  method: RouteMethod | readonly RouteMethod[];
  /** find-my-way path syntax: static segments, `:param`, a trailing `*`. */
  path: string;
  auth: HttpAuth;
  listener?: HttpListener;
  /** Routes that read a body: the largest accepted and the content types (media types, no parameters). */
  body?: { maxBytes: number; contentTypes: readonly string[] };
  handler(req: RouteRequest): Promise<RouteReply>;
  /** Called once the route is no longer served (a config reload replaced it, or the daemon stops): release what it holds. */
  dispose?(): Promise<void>;
}
