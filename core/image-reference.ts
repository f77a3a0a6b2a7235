import { ChainwatchError } from './errors.js';

/**
 * Container image references, parsed once for everyone (policies, admission, the cluster watch).
 * The grammar is distribution/reference's (github.com/distribution/reference, regexp.go):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component ( "/" path-component )*
 *   domain     := host [ ":" port ]            host: DNS name, IPv4, or [IPv6]
 *   path-comp  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest     := ( sha256 | sha384 | sha512 ) ":" lowercase hex (64/96/128)
 *
 * Two ways to read a reference:
 *   - `parseImageReference(ref, { normalise: true })` applies Docker's normalisation, as the
 *     kubelet does: a first component that is not a host (no "." or ":", not "localhost") means
 *     Docker Hub, a single Hub component gets "library/", "index.docker.io" is "docker.io", and a
 *     reference with neither tag nor digest means ":latest". So "nginx" is docker.io/library/nginx:latest.
 *   - without `normalise`, a reference must name its registry: shorthand is refused
 *     (IMAGE_REF_NO_REGISTRY), because for a policy a guessed registry is a wrong one.
 * Anything outside the grammar is an ImageReferenceError with a code, never a best guess.
 */
export type ImageReferenceErrorCode =
  | 'IMAGE_REF_EMPTY'
  | 'IMAGE_REF_TOO_LONG'
  | 'IMAGE_REF_INVALID'
  | 'IMAGE_REF_UPPERCASE'
  | 'IMAGE_REF_BAD_TAG'
  | 'IMAGE_REF_BAD_DIGEST'
  | 'IMAGE_REF_NO_REGISTRY';
export class ImageReferenceError extends ChainwatchError<ImageReferenceErrorCode> {}

export interface ParsedImageReference {
  /** Registry host[:port], lower case ("docker.io" for Docker Hub). */
  registry: string;
  /** Repository path inside the registry ("library/nginx"). */
  repository: string;
  /** The tag, when the reference names one (or "latest" when normalised and neither tag nor digest was given). */
  tag?: string;
  /** "sha256:<hex>" when the reference pins one. */
  digest?: string;
  /** The reference as written (trimmed). */
  original: string;
}

/** Docker's limit on the whole name (domain + path). */
const MAX_NAME = 255;
const MAX_REFERENCE = 1024;
const DOCKER_HUB = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

function fail(code: ImageReferenceErrorCode, message: string): never {
  throw new ImageReferenceError(code, message);
}

/** Whether the first path component names a registry (distribution/reference's splitDockerDomain rule). */
function isDomain(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component !== component.toLowerCase();
}

export function parseImageReference(ref: string, opts: { normalise?: boolean } = {}): ParsedImageReference {
  const original = ref.trim();
  if (original === '') fail('IMAGE_REF_EMPTY', 'empty image reference');
  if (original.length > MAX_REFERENCE) fail('IMAGE_REF_TOO_LONG', `image reference longer than ${MAX_REFERENCE} characters`);

  // Split off the digest first ("@" appears nowhere else), then the tag (the last ":" after the last "/").
  const at = original.indexOf('@');
  const nameAndTag = at === -1 ? original : original.slice(0, at);
  const digest = at === -1 ? undefined : original.slice(at + 1);
  if (digest !== undefined && !DIGEST.test(digest)) fail('IMAGE_REF_BAD_DIGEST', 'digest is not sha256/sha384/sha512 with lowercase hex of its length');
  const lastSlash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.indexOf(':', lastSlash + 1);
  const name = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
  const tag = colon === -1 ? undefined : nameAndTag.slice(colon + 1);
  if (tag !== undefined && !TAG.test(tag)) fail('IMAGE_REF_BAD_TAG', 'tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');
  if (name === '') fail('IMAGE_REF_INVALID', 'image reference has no name');

  const parts = name.split('/');
  let registry: string;
  let path: string[];
  if (parts.length > 1 && isDomain(parts[0]!)) {
    registry = parts[0]!.toLowerCase();
    path = parts.slice(1);
    if (!DOMAIN.test(parts[0]!)) fail('IMAGE_REF_INVALID', 'registry is not a host[:port]');
  } else {
    if (!opts.normalise) fail('IMAGE_REF_NO_REGISTRY', 'image reference names no registry (shorthand is only accepted where Docker normalisation applies)');
    registry = DOCKER_HUB;
    path = parts;
  }
  if (registry === 'index.docker.io' && opts.normalise) registry = DOCKER_HUB;
  for (const c of path) {
    if (PATH_COMPONENT.test(c)) continue;
    if (PATH_COMPONENT.test(c.toLowerCase())) fail('IMAGE_REF_UPPERCASE', 'repository names must be lower case');
    fail('IMAGE_REF_INVALID', 'repository path component outside [a-z0-9] with . _ __ - separators');
  }
  // A bare 64-hex name is an image id, not a reference (Docker refuses it for the same reason).
  if (opts.normalise && registry === DOCKER_HUB && path.length === 1 && /^[a-f0-9]{64}$/.test(path[0]!)) {
    fail('IMAGE_REF_INVALID', 'a 64-hex name is an image id, not a reference');
  }
  if (opts.normalise && registry === DOCKER_HUB && path.length === 1) path = ['library', ...path];
  const repository = path.join('/');
  if (registry.length + 1 + repository.length > MAX_NAME) fail('IMAGE_REF_TOO_LONG', `image name longer than ${MAX_NAME} characters`);

  const outTag = tag ?? (opts.normalise && digest === undefined ? 'latest' : undefined);
  return { registry, repository, ...(outTag !== undefined ? { tag: outTag } : {}), ...(digest !== undefined ? { digest } : {}), original };
}

/** "registry/repository[:tag][@digest]": the canonical spelling of a parsed reference. */
export function formatImageReference(r: Pick<ParsedImageReference, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}
