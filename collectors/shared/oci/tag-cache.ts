import type { RetryPolicy, Secret } from '../../../core/index.js';
import { OciClient } from './client.js';

/**
 * Tag -> digest with a HEAD on the manifest, one OciClient per registry, remembered for a while.
 * The one cache admission (bounded by its deadline through the caller's signal) and the cluster
 * watch (a failure remembered briefly, so a burst of Pods does not hammer a registry that is down)
 * both use; each passes its own TTLs, timeouts and retry policy.
 *
 * Registries are named as image references name them; Docker Hub's references say docker.io but
 * its API answers on registry-1.docker.io (credentials stay keyed by the name the config uses).
 */
const API_HOST: Record<string, string> = { 'docker.io': 'registry-1.docker.io' };

/** How to reach one registry. */
export interface RegistryAccess {
  /** Allow plain http (loopback hosts always may). */
  insecure?: boolean;
  username?: string | undefined;
  password?: Secret | undefined;
  /** Per-request timeout for this registry; the cache's `timeoutMs` otherwise. */
  requestTimeout?: number | undefined;
}

export interface TagCacheOptions {
  /** Per registry host[:port] as references name it. Unlisted: anonymous https (loopback: http). */
  registries: Record<string, RegistryAccess>;
  /** How long a resolved tag is reused (0: never). */
  ttl: number;
  /** How long "no such tag" and a failure are remembered (0: never, the registry is asked every time). */
  failureTtl: number;
  timeoutMs: number;
  retry: Partial<RetryPolicy>;
  now?: () => number;
}

type Outcome = { result: 'resolved'; digest: string } | { result: 'not_found' } | { result: 'error'; error: unknown };
/** The outcome of one lookup; `cached`: answered from memory, the registry was not asked. */
export type TagResolution = Outcome & { cached: boolean };
type Remembered = Outcome & { until: number };

const MAX_ENTRIES = 10_000;

export class OciTagCache {
  private readonly clients = new Map<string, OciClient>();
  private readonly entries = new Map<string, Remembered>();
  private readonly now: () => number;

  constructor(private readonly opts: TagCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Never throws: a registry failure (OciError / RetryError, or the signal's abort) is the `error` outcome. */
  async resolve(registry: string, repository: string, tag: string, signal?: AbortSignal): Promise<TagResolution> {
    const key = `${registry}/${repository}:${tag}`;
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return { ...outcomeOf(hit), cached: true };
    let found: Remembered;
    try {
      const d = await this.client(registry).headManifest(repository, tag, signal);
      found = d ? { result: 'resolved', digest: d.digest, until: 0 } : { result: 'not_found', until: 0 };
    } catch (error) {
      found = { result: 'error', error, until: 0 };
    }
    const ttl = found.result === 'resolved' ? this.opts.ttl : Math.min(this.opts.ttl, this.opts.failureTtl);
    // An aborted lookup says nothing about the registry: it is not remembered.
    if (ttl > 0 && !signal?.aborted) this.remember(key, { ...found, until: this.now() + ttl });
    return { ...outcomeOf(found), cached: false };
  }

  private remember(key: string, r: Remembered): void {
    this.entries.delete(key);
    this.entries.set(key, r);
    if (this.entries.size <= MAX_ENTRIES) return;
    const now = this.now();
    for (const [k, v] of this.entries) if (v.until <= now) this.entries.delete(k);
    // Still full of live entries: drop the oldest written.
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  private client(registry: string): OciClient {
    let c = this.clients.get(registry);
    if (!c) {
      const r = this.opts.registries[registry];
      c = new OciClient({
        registry: API_HOST[registry] ?? registry,
        insecure: r?.insecure ?? false,
        credentials: r?.username !== undefined && r.password !== undefined ? { username: r.username, password: r.password } : undefined,
        timeoutMs: r?.requestTimeout ?? this.opts.timeoutMs,
        retry: this.opts.retry,
      });
      this.clients.set(registry, c);
    }
    return c;
  }
}

function outcomeOf(r: Remembered): Outcome {
  switch (r.result) {
    case 'resolved':
      return { result: 'resolved', digest: r.digest };
    case 'not_found':
      return { result: 'not_found' };
    case 'error':
      return { result: 'error', error: r.error };
  }
}
