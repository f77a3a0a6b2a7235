import { createHash } from 'node:crypto';
import { HttpClient, HttpError, type HttpResponse, parseRetryAfter, type RetryPolicy, withRetry } from '../../../core/index.js';
import { basicAuthorization, parseChallenges, type RegistryCredentials } from './auth.js';
import { fromHttpError, OciError, statusError } from './errors.js';
import { DIGEST_PATTERN, type Descriptor, digestTag, MANIFEST_ACCEPT, type Manifest, MEDIA } from './media-types.js';

/**
 * The one OCI distribution client of chainwatch (distribution spec 1.1): manifests, blobs, tags and
 * referrers of one registry. Every request goes through core/http (timeouts, size caps, status
 * classification) inside core/retry (429, 5xx and network failures retried with backoff and
 * Retry-After; 401/403/404 are answers, never retried).
 *
 * Auth: anonymous first; a 401 with a `Bearer` challenge fetches a token from its realm (with the
 * configured basic credentials when there are any) for the repository's pull scope and repeats the
 * request once; a `Basic` challenge repeats it with the credentials. Tokens are cached per scope
 * until their expiry. Plain http only for loopback hosts and registries configured `insecure`, so a
 * credential or token never crosses the network in clear by accident.
 */
export interface OciClientOptions {
  /** host[:port] as clients address it, e.g. "ghcr.io", "127.0.0.1:5000". */
  registry: string;
  /** Allow plain http (loopback hosts always may). */
  insecure?: boolean;
  credentials?: RegistryCredentials | undefined;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Largest manifest or index read (the distribution spec's servers refuse above 4 MiB). */
  maxManifestBytes?: number;
  /** Test seam and request counting; undefined = global fetch. */
  fetch?: typeof fetch;
}

export interface FetchedManifest {
  /** sha256 of the exact bytes received (checked against the requested digest). */
  digest: string;
  mediaType: string;
  bytes: Buffer;
  manifest: Manifest;
}

export interface ReferrersResult {
  descriptors: Descriptor[];
  /** `referrers`: the OCI 1.1 API answered; `referrers-tag`: the `sha256-<hex>` tag index (the API 404ed). */
  via: 'referrers' | 'referrers-tag';
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 5_000, deadlineMs: 30_000 };
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;
const MAX_PAGES = 100;

export class OciClient {
  readonly registry: string;
  private readonly base: string;
  private readonly http: HttpClient;
  /** Blobs may be redirected to storage (S3, a CDN); fetch drops Authorization on a cross-origin hop. */
  private readonly blobHttp: HttpClient;
  private readonly retry: RetryPolicy;
  private readonly tokens = new Map<string, { header: string; until: number }>();

  constructor(private readonly opts: OciClientOptions) {
    this.registry = opts.registry.toLowerCase();
    if (!/^[a-z0-9.-]+(:\d+)?$|^\[[0-9a-f:]+\](:\d+)?$/.test(this.registry)) throw new OciError('OCI_BAD_REFERENCE', `not a registry host: ${opts.registry}`);
    const plain = opts.insecure === true || LOOPBACK.test(this.registry);
    this.base = `${plain ? 'http' : 'https'}://${this.registry}`;
    const common = { peer: `registry ${this.registry}`, timeoutMs: opts.timeoutMs ?? 30_000, fetch: opts.fetch, headers: { 'user-agent': 'chainwatch' } };
    this.http = new HttpClient({ ...common, maxBodyBytes: opts.maxManifestBytes ?? 4 * 1024 * 1024 });
    this.blobHttp = new HttpClient({ ...common, redirect: 'follow' });
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /** GET a manifest or index by tag or digest; a digest reference must match the bytes. */
  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.send(repo, 'GET', `/v2/${repo}/manifests/${reference}`, { accept: MANIFEST_ACCEPT });
    const digest = sha256(res.body);
    checkDigest(reference, digest, res.headers.get('docker-content-digest'), `${this.registry}/${repo}:${reference}`);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(res.text) as Manifest;
    } catch (err) {
      throw new OciError('OCI_BAD_RESPONSE', `${this.registry}/${repo}@${digest}: manifest is not JSON`, { cause: err });
    }
    if (typeof manifest !== 'object' || manifest === null)
      throw new OciError('OCI_BAD_RESPONSE', `${this.registry}/${repo}@${digest}: manifest is not an object`);
    const mediaType = manifest.mediaType ?? res.headers.get('content-type')?.split(';')[0]?.trim() ?? MEDIA.ociManifest;
    return { digest, mediaType, bytes: res.body, manifest };
  }

  /** HEAD a manifest: its digest, media type and size without the body; undefined when absent. `signal` ends retries and the request (admission's deadline). */
  async headManifest(repo: string, reference: string, signal?: AbortSignal): Promise<Descriptor | undefined> {
    try {
      const res = await this.send(repo, 'HEAD', `/v2/${repo}/manifests/${reference}`, { accept: MANIFEST_ACCEPT }, undefined, this.http, signal);
      const digest = res.headers.get('docker-content-digest') ?? (DIGEST_PATTERN.test(reference) ? reference : undefined);
      if (!digest) throw new OciError('OCI_BAD_RESPONSE', `${this.registry}/${repo}:${reference}: HEAD without Docker-Content-Digest`);
      return { digest, mediaType: res.headers.get('content-type')?.split(';')[0]?.trim() ?? '', size: Number(res.headers.get('content-length') ?? 0) };
    } catch (err) {
      if (err instanceof OciError && err.code === 'OCI_NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** GET a blob of at most maxBytes, checked against its digest. */
  async getBlob(repo: string, digest: string, maxBytes: number): Promise<Buffer> {
    if (!DIGEST_PATTERN.test(digest)) throw new OciError('OCI_BAD_REFERENCE', `not a sha256 digest: ${digest.slice(0, 80)}`);
    const res = await this.send(repo, 'GET', `/v2/${repo}/blobs/${digest}`, {}, maxBytes, this.blobHttp);
    checkDigest(digest, sha256(res.body), null, `${this.registry}/${repo}@${digest}`);
    return res.body;
  }

  /**
   * Every tag of a repository, page by page: the Link header's next page when the registry sends
   * one, else (a full page and no Link, as go-containerregistry's registry does) `last=<final tag>`.
   * A page that brings no new tag ends the listing (a registry that ignores `last` cannot loop us).
   */
  async listTags(repo: string, pageSize = 1000): Promise<string[]> {
    const tags = new Set<string>();
    let path: string | undefined = `/v2/${repo}/tags/list?n=${pageSize}`;
    for (let page = 0; path && page < MAX_PAGES; page++) {
      const res = await this.send(repo, 'GET', path, { accept: 'application/json' });
      const got = json<{ tags?: string[] | null }>(res, `${this.registry}/${repo} tags`).tags ?? [];
      const before = tags.size;
      for (const t of got) tags.add(t);
      if (tags.size === before) break;
      path = this.nextPage(res) ?? (got.length >= pageSize ? `/v2/${repo}/tags/list?n=${pageSize}&last=${encodeURIComponent(got.at(-1)!)}` : undefined);
    }
    return [...tags];
  }

  /**
   * Referrers of a digest: the OCI 1.1 referrers API, and when the registry answers it with 404, the
   * tag-schema fallback (the index tagged `sha256-<hex>`; none = no referrers). `artifactType`
   * filters (on the server when it says it applied the filter, else here).
   */
  async referrers(repo: string, digest: string, artifactType?: string): Promise<ReferrersResult> {
    if (!DIGEST_PATTERN.test(digest)) throw new OciError('OCI_BAD_REFERENCE', `not a sha256 digest: ${digest.slice(0, 80)}`);
    const filter = (ds: Descriptor[]): Descriptor[] => (artifactType === undefined ? ds : ds.filter((d) => d.artifactType === artifactType));
    const descriptors: Descriptor[] = [];
    let path: string | undefined = `/v2/${repo}/referrers/${digest}${artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''}`;
    try {
      for (let page = 0; path && page < MAX_PAGES; page++) {
        const res = await this.send(repo, 'GET', path, { accept: MEDIA.ociIndex });
        const index = json<Manifest>(res, `${this.registry}/${repo} referrers`);
        const applied = res.headers.get('oci-filters-applied')?.includes('artifactType') === true;
        descriptors.push(...(applied ? (index.manifests ?? []) : filter(index.manifests ?? [])));
        path = this.nextPage(res);
      }
      return { descriptors, via: 'referrers' };
    } catch (err) {
      if (!(err instanceof OciError && err.code === 'OCI_NOT_FOUND')) throw err;
    }
    try {
      const index = await this.getManifest(repo, digestTag(digest, ''));
      return { descriptors: filter(index.manifest.manifests ?? []), via: 'referrers-tag' };
    } catch (err) {
      if (err instanceof OciError && err.code === 'OCI_NOT_FOUND') return { descriptors: [], via: 'referrers-tag' };
      throw err;
    }
  }

  /** The Link header's next page (same origin only: a registry must not send our token elsewhere). */
  private nextPage(res: HttpResponse): string | undefined {
    const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1];
    if (!link) return undefined;
    const url = new URL(link, this.base);
    if (url.origin !== new URL(this.base).origin) throw new OciError('OCI_BAD_RESPONSE', `${this.registry}: pagination link to another origin`);
    return `${url.pathname}${url.search}`;
  }

  /** One request with retries; the auth dance on 401 happens inside each attempt. */
  private send(
    repo: string,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    maxBodyBytes?: number,
    http = this.http,
    outer?: AbortSignal,
  ): Promise<HttpResponse> {
    const what = `${this.registry}/${repo}`;
    return withRetry(
      async (_n, signal) => {
        const scope = `repository:${repo}:pull`;
        let res = await this.exchange(http, method, path, { ...headers, ...this.authHeader(scope) }, what, maxBodyBytes, signal);
        if (res.status === 401) {
          const auth = await this.authenticate(res, scope, what, signal);
          if (auth !== undefined) res = await this.exchange(http, method, path, { ...headers, authorization: auth }, what, maxBodyBytes, signal);
        }
        if (res.status >= 200 && res.status < 300) return res;
        throw statusError(res.status, what, undefined, parseRetryAfter(res.headers.get('retry-after')));
      },
      this.retry,
      outer,
    );
  }

  private async exchange(
    http: HttpClient,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    what: string,
    maxBodyBytes: number | undefined,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    try {
      return await http.exchange({ url: `${this.base}${path}`, method, headers, signal, ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}) });
    } catch (err) {
      throw err instanceof HttpError ? fromHttpError(err, what) : err;
    }
  }

  private authHeader(scope: string): Record<string, string> {
    const t = this.tokens.get(scope);
    if (t && t.until > Date.now()) return { authorization: t.header };
    return {};
  }

  /** The Authorization header a 401's challenge asks for, or undefined when we cannot answer it. */
  private async authenticate(res: HttpResponse, scope: string, what: string, signal?: AbortSignal): Promise<string | undefined> {
    const challenges = parseChallenges(res.headers.get('www-authenticate'));
    const creds = this.opts.credentials;
    const bearer = challenges.find((c) => c.scheme.toLowerCase() === 'bearer');
    if (bearer?.params.realm) {
      const realm = new URL(bearer.params.realm);
      if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && (this.opts.insecure === true || LOOPBACK.test(realm.host)))) {
        throw new OciError('OCI_INSECURE_REFUSED', `${what}: token realm is not https`);
      }
      if (bearer.params.service) realm.searchParams.set('service', bearer.params.service);
      realm.searchParams.set('scope', bearer.params.scope ?? scope);
      let tokenRes: HttpResponse;
      try {
        tokenRes = await this.http.request({
          url: realm.toString(),
          method: 'GET',
          signal,
          headers: creds ? { authorization: basicAuthorization(creds) } : {},
        });
      } catch (err) {
        throw err instanceof HttpError ? fromHttpError(err, `${what} token`) : err;
      }
      const body = json<{ token?: string; access_token?: string; expires_in?: number }>(tokenRes, `${what} token`);
      const token = body.token ?? body.access_token;
      if (!token) throw new OciError('OCI_BAD_RESPONSE', `${what}: token response without a token`);
      const header = `Bearer ${token}`;
      // Refresh a little early; the spec's default lifetime is 60 s.
      this.tokens.set(scope, { header, until: Date.now() + Math.max(10, (body.expires_in ?? 60) - 10) * 1000 });
      return header;
    }
    if (creds && challenges.some((c) => c.scheme.toLowerCase() === 'basic')) return basicAuthorization(creds);
    return undefined;
  }
}

function json<T>(res: HttpResponse, what: string): T {
  try {
    return JSON.parse(res.text) as T;
  } catch (err) {
    throw new OciError('OCI_BAD_RESPONSE', `${what}: response is not JSON`, { cause: err });
  }
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Content addressing: what we asked for by digest (and what the registry says it sent) must be what arrived. */
function checkDigest(reference: string, actual: string, announced: string | null, what: string): void {
  if (DIGEST_PATTERN.test(reference) && reference !== actual) throw new OciError('OCI_DIGEST_MISMATCH', `${what}: content digest is ${actual}`);
  if (announced && announced.startsWith('sha256:') && announced !== actual)
    throw new OciError('OCI_DIGEST_MISMATCH', `${what}: registry announced ${announced}, content is ${actual}`);
}
