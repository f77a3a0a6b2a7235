import { describe, expect, it } from 'vitest';
import { formatImageReference, ImageReferenceError, type ImageReferenceErrorCode, parseImageReference } from './image-reference.js';

const D = `sha256:${'ab'.repeat(32)}`;

describe('parseImageReference with Docker normalisation', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['127.0.0.1:5000/team/app:v1', '127.0.0.1:5000/team/app:v1'],
    ['Registry.Example.com:443/a/b/c', 'registry.example.com:443/a/b/c:latest'],
    ['[::1]:5000/app:v1', '[::1]:5000/app:v1'],
    [`ghcr.io/acme/app@${D}`, `ghcr.io/acme/app@${D}`],
    [`ghcr.io/acme/app:v1@${D}`, `ghcr.io/acme/app:v1@${D}`],
    [`nginx@${D}`, `docker.io/library/nginx@${D}`],
    ['a.b/c__d/e-f.g_h---i:T_a.g-1', 'a.b/c__d/e-f.g_h---i:T_a.g-1'],
    ['  nginx  ', 'docker.io/library/nginx:latest'],
  ])('%s -> %s', (ref, want) => {
    expect(formatImageReference(parseImageReference(ref, { normalise: true }))).toBe(want);
  });

  it('keeps a registry port apart from the tag', () => {
    const r = parseImageReference('localhost:5000/app', { normalise: true });
    expect(r).toMatchObject({ registry: 'localhost:5000', repository: 'app', tag: 'latest' });
  });

  it.each<[string, ImageReferenceErrorCode]>([
    ['', 'IMAGE_REF_EMPTY'],
    ['   ', 'IMAGE_REF_EMPTY'],
    ['Nginx', 'IMAGE_REF_UPPERCASE'],
    ['ghcr.io/Acme/app', 'IMAGE_REF_UPPERCASE'],
    ['nginx:', 'IMAGE_REF_BAD_TAG'],
    ['nginx:-bad', 'IMAGE_REF_BAD_TAG'],
    [`nginx:${'a'.repeat(129)}`, 'IMAGE_REF_BAD_TAG'],
    ['nginx@sha256:abc', 'IMAGE_REF_BAD_DIGEST'],
    [`nginx@sha256:${'AB'.repeat(32)}`, 'IMAGE_REF_BAD_DIGEST'],
    [`nginx@md5:${'ab'.repeat(16)}`, 'IMAGE_REF_BAD_DIGEST'],
    [`nginx@${D}@${D}`, 'IMAGE_REF_BAD_DIGEST'],
    ['ghcr.io//app', 'IMAGE_REF_INVALID'],
    ['ghcr.io/app/', 'IMAGE_REF_INVALID'],
    ['ghcr.io/a..b', 'IMAGE_REF_INVALID'],
    ['-bad.io/app', 'IMAGE_REF_INVALID'],
    ['ghcr.io:99999999/app', 'IMAGE_REF_INVALID'],
    [':latest', 'IMAGE_REF_INVALID'],
    ['a'.repeat(64).replace(/a/g, 'f'), 'IMAGE_REF_INVALID'],
    ['with space/app', 'IMAGE_REF_INVALID'],
    [`ghcr.io/${'a/'.repeat(200)}b`, 'IMAGE_REF_TOO_LONG'],
    ['x'.repeat(2000), 'IMAGE_REF_TOO_LONG'],
  ])('refuses %j with %s', (ref, code) => {
    const err = (() => {
      try {
        parseImageReference(ref, { normalise: true });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ImageReferenceError);
    expect((err as ImageReferenceError).code).toBe(code);
  });
});

describe('parseImageReference without normalisation (policies)', () => {
  it.each(['nginx', 'library/nginx', 'bitnami/redis:7'])('refuses the shorthand %s', (ref) => {
    expect(() => parseImageReference(ref)).toThrow(ImageReferenceError);
    try {
      parseImageReference(ref);
    } catch (e) {
      expect((e as ImageReferenceError).code).toBe('IMAGE_REF_NO_REGISTRY');
    }
  });

  it('adds no latest and keeps index.docker.io as written', () => {
    expect(parseImageReference('index.docker.io/library/nginx')).toEqual({
      registry: 'index.docker.io',
      repository: 'library/nginx',
      original: 'index.docker.io/library/nginx',
    });
    expect(parseImageReference(`127.0.0.1:5000/app:v1@${D}`)).toMatchObject({ registry: '127.0.0.1:5000', repository: 'app', tag: 'v1', digest: D });
  });
});
