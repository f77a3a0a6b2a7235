import { type ImageRef, ImageReferenceError, parseImageReference as parseReference } from '../../core/index.js';

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
 * "registry/repo[:tag][@sha256:hex]" -> the parts a policy needs, or undefined when the reference is
 * refused. One parser for everyone (core/image-reference.ts); here without Docker's normalisation:
 * Docker Hub shorthands are refused because a policy's registry must never be a guess.
 */
export function parseImageReference(ref: string): { registry: string; repository: string; tag?: string; digest?: string } | undefined {
  try {
    const { registry, repository, tag, digest } = parseReference(ref);
    return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
  } catch (err) {
    if (err instanceof ImageReferenceError) return undefined;
    throw err;
  }
}
