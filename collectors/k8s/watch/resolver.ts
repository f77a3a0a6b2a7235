import type { Logger, Metrics, WorkloadImage } from '../../../core/index.js';
import { OciTagCache } from '../../shared/oci/index.js';
import type { K8sWatchConfig } from './config.js';

/**
 * Tag -> digest, for images a Pod names by tag only (without a kubelet there is no imageID; with
 * one, its digest wins and nothing is asked), through the shared OciTagCache: one HEAD per
 * registry/repository:tag per `ttl`; a failure (registry down, tag missing) leaves the image without
 * a digest and is remembered for a short while, so a burst of Pods does not hammer a registry that
 * is down. Resolution never blocks an event for long: the client's own timeout bounds it.
 */
const FAILURE_TTL_MS = 30_000;

export interface TagResolver {
  resolve(images: WorkloadImage[]): Promise<WorkloadImage[]>;
}

export class OciTagResolver implements TagResolver {
  private readonly cache: OciTagCache;
  private readonly resolved: ReturnType<Metrics['counter']>;

  constructor(
    private readonly cfg: K8sWatchConfig['resolve'],
    private readonly logger: Logger,
    metrics: Metrics,
    now: () => number = Date.now,
  ) {
    this.resolved = metrics.counter('k8s_watch_tag_resolutions_total', 'Tags the cluster watch resolved to digests', ['result']);
    this.cache = new OciTagCache({
      registries: cfg.registries,
      ttl: cfg.ttl,
      failureTtl: FAILURE_TTL_MS,
      timeoutMs: 10_000,
      retry: { maxAttempts: 2, deadlineMs: 15_000 },
      now,
    });
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
    const r = await this.cache.resolve(registry, repository, tag);
    this.resolved.inc({ result: r.cached ? 'cached' : r.result });
    if (r.result === 'error' && !r.cached)
      this.logger.warn(
        { image: `${registry}/${repository}:${tag}`, code: (r.error as { code?: string }).code },
        'k8s watch: could not resolve a tag to its digest',
      );
    return r.result === 'resolved' ? r.digest : undefined;
  }
}
