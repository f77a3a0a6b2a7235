import type { Logger, Metrics, WorkloadImage } from '../../../core/index.js';
import { OciClient } from '../../shared/oci/index.js';
import type { K8sWatchConfig } from './config.js';

/**
 * Tag -> digest, for images a Pod names by tag only (without a kubelet there is no imageID; with
 * one, its digest wins and nothing is asked). One HEAD per registry/repository:tag per `ttl`; a
 * failure (registry down, tag missing) leaves the image without a digest and is remembered for a
 * short while, so a burst of Pods does not hammer a registry that is down. Resolution never
 * blocks an event for long: the client's own timeout bounds it.
 */
const FAILURE_TTL_MS = 30_000;
/** Docker Hub's API host (references say docker.io). */
const API_HOST: Record<string, string> = { 'docker.io': 'registry-1.docker.io' };

export interface TagResolver {
  resolve(images: WorkloadImage[]): Promise<WorkloadImage[]>;
}

export class OciTagResolver implements TagResolver {
  private readonly clients = new Map<string, OciClient>();
  private readonly cache = new Map<string, { digest: string | undefined; until: number }>();
  private readonly resolved: ReturnType<Metrics['counter']>;

  constructor(
    private readonly cfg: K8sWatchConfig['resolve'],
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {
    this.resolved = metrics.counter('k8s_watch_tag_resolutions_total', 'Tags the cluster watch resolved to digests', ['result']);
  }

  async resolve(images: WorkloadImage[]): Promise<WorkloadImage[]> {
    if (!this.cfg.enabled) return images;
    const out: WorkloadImage[] = [];
    for (const img of images) {
      if (img.digest !== undefined || img.tag === undefined) {
        out.push(img);
        continue;
      }
      const digest = await this.digestOf(img.registry, img.repository, img.tag);
      out.push(digest ? { ...img, digest, resolvedFromTag: true } : img);
    }
    return out;
  }

  private async digestOf(registry: string, repository: string, tag: string): Promise<string | undefined> {
    const key = `${registry}/${repository}:${tag}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) {
      this.resolved.inc({ result: 'cached' });
      return hit.digest;
    }
    let digest: string | undefined;
    try {
      digest = (await this.client(registry).headManifest(repository, tag))?.digest;
      this.resolved.inc({ result: digest ? 'resolved' : 'not_found' });
    } catch (err) {
      this.resolved.inc({ result: 'error' });
      this.logger.warn({ image: key, code: (err as { code?: string }).code }, 'k8s watch: could not resolve a tag to its digest');
    }
    this.cache.set(key, { digest, until: this.now() + (digest ? this.cfg.ttl : Math.min(this.cfg.ttl, FAILURE_TTL_MS)) });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return digest;
  }

  private client(registry: string): OciClient {
    let c = this.clients.get(registry);
    if (!c) {
      const r = this.cfg.registries[registry];
      c = new OciClient({
        registry: API_HOST[registry] ?? registry,
        insecure: r?.insecure ?? false,
        credentials: r?.username && r.password ? { username: r.username, password: r.password } : undefined,
        timeoutMs: r?.requestTimeout ?? 10_000,
        retry: { maxAttempts: 2, deadlineMs: 15_000 },
      });
      this.clients.set(registry, c);
    }
    return c;
  }
}
