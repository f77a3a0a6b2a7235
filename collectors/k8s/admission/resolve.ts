import { OciClient } from '../../shared/oci/index.js';
import type { AdmissionSection } from './config.js';

/**
 * Tag -> digest with a HEAD on the manifest (collectors/shared/oci), bounded by the request's
 * signal (the admission deadline): no retry outlives it. Resolved tags are reused for `tagTtl`
 * so a warm path never touches the registry; failures are never cached.
 */
export class TagResolver {
  private readonly clients = new Map<string, OciClient>();
  private readonly tags = new Map<string, { digest: string; until: number }>();

  constructor(
    private readonly section: Pick<AdmissionSection, 'registries' | 'tagTtl' | 'deadline'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The digest `registry/repository:tag` points at now, or undefined when the registry has no such tag. Throws OciError / RetryError otherwise. */
  async resolve(registry: string, repository: string, tag: string, signal: AbortSignal): Promise<{ digest: string; cached: boolean } | undefined> {
    const key = `${registry}/${repository}:${tag}`;
    const hit = this.tags.get(key);
    if (hit && hit.until > this.now()) return { digest: hit.digest, cached: true };
    const found = await this.client(registry).headManifest(repository, tag, signal);
    if (!found) return undefined;
    if (this.section.tagTtl > 0) this.tags.set(key, { digest: found.digest, until: this.now() + this.section.tagTtl });
    if (this.tags.size > 10_000) this.sweep();
    return { digest: found.digest, cached: false };
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, v] of this.tags) if (v.until <= now) this.tags.delete(k);
  }

  private client(registry: string): OciClient {
    let c = this.clients.get(registry);
    if (!c) {
      const r = this.section.registries[registry];
      c = new OciClient({
        registry,
        insecure: r?.insecure ?? false,
        credentials: r?.username !== undefined && r.password !== undefined ? { username: r.username, password: r.password } : undefined,
        timeoutMs: this.section.deadline,
        // Retries only while the deadline allows: the caller's signal ends them.
        retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200, deadlineMs: this.section.deadline },
      });
      this.clients.set(registry, c);
    }
    return c;
  }
}
