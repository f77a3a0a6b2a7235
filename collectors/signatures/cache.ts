import type { ArtifactVerified, ImageRef, StateStore } from '../../core/index.js';

/**
 * Results by digest in the StateStore, so a restart keeps them and an admission `verify` is
 * answered without the registry. A result is fresh until its validUntil (checkedAt + cacheTtl).
 * A push of the digest (or of its signatures) replaces or drops it; a delete drops it.
 */
export class ResultCache {
  constructor(
    private readonly state: StateStore,
    private readonly prefix: string,
  ) {}

  key(image: Pick<ImageRef, 'registry' | 'repository' | 'digest'>): string {
    return `${this.prefix}:result:${image.registry}/${image.repository}@${image.digest}`;
  }

  /** The stored result, fresh or not (a stale one still knows the digest's tags). */
  async get(image: Pick<ImageRef, 'registry' | 'repository' | 'digest'>): Promise<ArtifactVerified | undefined> {
    return this.state.get<ArtifactVerified>(this.key(image));
  }

  put(result: ArtifactVerified): Promise<void> {
    return this.state.put(this.key(result.image), result);
  }

  drop(image: Pick<ImageRef, 'registry' | 'repository' | 'digest'>): Promise<void> {
    return this.state.delete(this.key(image));
  }
}

export function isFresh(result: ArtifactVerified | undefined, now: Date): result is ArtifactVerified {
  return result !== undefined && Date.parse(result.validUntil) > now.getTime();
}
