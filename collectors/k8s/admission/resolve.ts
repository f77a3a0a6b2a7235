import { OciTagCache, type TagResolution } from '../../shared/oci/index.js';
import type { AdmissionSection } from './config.js';

/**
 * Tag -> digest through the shared OciTagCache, bounded by the request's signal (the admission
 * deadline): no retry outlives it. Resolved tags are reused for `tagTtl` so a warm path never
 * touches the registry; a missing tag and a failure are never remembered (the next request asks again).
 */
export class TagResolver {
  private readonly cache: OciTagCache;

  constructor(section: Pick<AdmissionSection, 'registries' | 'tagTtl' | 'deadline'>, now: () => number = Date.now) {
    this.cache = new OciTagCache({
      registries: section.registries,
      ttl: section.tagTtl,
      failureTtl: 0,
      timeoutMs: section.deadline,
      // Retries only while the deadline allows: the caller's signal ends them.
      retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200, deadlineMs: section.deadline },
      now,
    });
  }

  /** What `registry/repository:tag` points at now; a registry failure (OciError / RetryError, or the deadline) is the `error` outcome. */
  resolve(registry: string, repository: string, tag: string, signal: AbortSignal): Promise<TagResolution> {
    return this.cache.resolve(registry, repository, tag, signal);
  }
}
