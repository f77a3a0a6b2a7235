import { createHash } from 'node:crypto';
import type { Secret } from '../../core/index.js';
import { RegistryError } from './errors.js';

/**
 * The little of the OCI distribution API the polling fallback needs: list a repository's tags
 * (`GET /v2/<repo>/tags/list`, following `Link` pages) and resolve a tag to its manifest digest
 * (HEAD, then GET when the registry sends no Docker-Content-Digest). Registries that answer 401
 * with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` get the token flow (anonymous or with
 * basic credentials). Kept small on purpose: collectors/shared/oci will carry the full client.
 */
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const TIMEOUT_MS = 15_000;
const MAX_PAGES = 100;

export interface OciTagsOptions {
  /** Registry base URL, e.g. https://registry.example.com or http://127.0.0.1:5000. */
  url: string;
  username?: string;
  password?: Secret;
}

export interface TagDigest {
  digest: string;
  mediaType: string | undefined;
}

export class OciTags {
  private token: string | undefined;
  private readonly base: URL;

  constructor(private readonly opts: OciTagsOptions) {
    this.base = new URL(opts.url);
  }

  /** host[:port] as clients address the registry (lower case). */
  get host(): string {
    return this.base.host.toLowerCase();
  }

  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let next: URL | undefined = new URL(`/v2/${repository}/tags/list?n=1000`, this.base);
    for (let page = 0; next && page < MAX_PAGES; page++) {
      const res = await this.request(next, { method: 'GET' });
      if (!res.ok) throw await failure(res, `tags/list ${repository}`);
      const body = (await res.json()) as { tags?: unknown };
      if (body.tags !== null && body.tags !== undefined && !Array.isArray(body.tags))
        throw new RegistryError('REGISTRY_PAYLOAD_INVALID', 'tags/list: tags is not a list');
      for (const t of (body.tags ?? []) as unknown[]) if (typeof t === 'string') tags.push(t);
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '');
      next = link ? new URL(link[1]!, this.base) : undefined;
    }
    return tags;
  }

  async digestOf(repository: string, tag: string): Promise<TagDigest> {
    const url = new URL(`/v2/${repository}/manifests/${encodeURIComponent(tag)}`, this.base);
    const head = await this.request(url, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
    const digest = head.headers.get('docker-content-digest');
    if (head.ok && digest && /^sha256:[0-9a-f]{64}$/.test(digest)) return { digest, mediaType: head.headers.get('content-type') ?? undefined };
    const res = await this.request(url, { method: 'GET', headers: { accept: MANIFEST_ACCEPT } });
    if (!res.ok) throw await failure(res, `manifest ${repository}:${tag}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, mediaType: res.headers.get('content-type') ?? undefined };
  }

  /** One request; on a 401 with a Bearer challenge, fetch a token once and try again. */
  private async request(url: URL, init: { method: string; headers?: Record<string, string> }): Promise<Response> {
    const send = (): Promise<Response> =>
      fetch(url, {
        ...init,
        headers: { ...init.headers, ...(this.token ? { authorization: `Bearer ${this.token}` } : this.basic()) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    const res = await send();
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.arrayBuffer().catch(() => undefined);
    if (!/^bearer\s/i.test(challenge)) return res;
    this.token = await this.fetchToken(challenge);
    return send();
  }

  private basic(): Record<string, string> {
    if (!this.opts.username || !this.opts.password) return {};
    return { authorization: `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password.reveal()}`).toString('base64')}` };
  }

  private async fetchToken(challenge: string): Promise<string> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
    if (!params.realm) throw new RegistryError('REGISTRY_PAYLOAD_INVALID', 'bearer challenge without realm');
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    if (params.scope) url.searchParams.set('scope', params.scope);
    const res = await fetch(url, { headers: this.basic(), signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw await failure(res, 'token');
    const body = (await res.json()) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || !token) throw new RegistryError('REGISTRY_PAYLOAD_INVALID', 'token endpoint answered no token');
    return token;
  }
}

async function failure(res: Response, what: string): Promise<RegistryError> {
  await res.arrayBuffer().catch(() => undefined);
  // 5xx and 429 are the registry's trouble: the next scheduled poll tries again.
  return new RegistryError('REGISTRY_POLL_FAILED', `${what}: HTTP ${res.status}`, { retriable: res.status >= 500 || res.status === 429 });
}
