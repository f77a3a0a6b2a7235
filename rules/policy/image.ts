import type { ImageRef } from '../../core/index.js';

/**
 * Image globs match "<registry>/<repository>" (no tag, no digest: a policy is about where an image
 * lives, the digest is what it judges). `*` matches within one path segment (no "/"), `**` matches
 * any run of characters including "/", nothing else is special; matching is anchored and
 * case-sensitive (registries and repositories are lower case). So `registry.example.com/team/*`
 * matches `registry.example.com/team/app` but not `registry.example.com/team/sub/app`, and
 * `registry.example.com/team/**` matches both. rules/identity's glob cannot serve here: its `*`
 * crosses "/" on purpose (an allowlist entry that reads exactly as what it allows).
 */
export function imageGlobToRegExp(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((run) =>
      run
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${body}$`, 'u');
}

/** The name a glob is matched against. */
export function imageName(image: Pick<ImageRef, 'registry' | 'repository'>): string {
  return `${image.registry}/${image.repository}`;
}

/**
 * "registry/repo[:tag][@sha256:hex]" -> the parts a policy needs. Docker Hub shorthands are not
 * expanded: the registry is the part before the first "/" when it has a "." or ":" or is
 * "localhost", else the reference is refused (undefined) because its registry would be a guess.
 */
export function parseImageReference(ref: string): { registry: string; repository: string; tag?: string; digest?: string } | undefined {
  const m = /^([^/@]+)\/([^@:]+(?:\/[^@:]+)*)(?::([\w][\w.-]{0,127}))?(?:@(sha(?:256|384|512):[0-9a-f]{64,128}))?$/.exec(ref.trim());
  if (!m) return undefined;
  const [, registry, repository, tag, digest] = m;
  if (!/[.:]/.test(registry!) && registry !== 'localhost') return undefined;
  return { registry: registry!.toLowerCase(), repository: repository!, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}
