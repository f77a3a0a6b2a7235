import { describe, expect, it } from 'vitest';
import { claimsOf, normalizeRepository } from './claims.js';
import { anyGlob, globToRegExp } from './glob.js';

describe('allowlist globs', () => {
  const cases: [string, string, boolean][] = [
    ['refs/tags/v*', 'refs/tags/v1.2.3', true],
    ['refs/tags/v*', 'refs/tags/release-1', false],
    ['refs/tags/v*', 'xrefs/tags/v1', false], // anchored at the start
    ['push', 'push_x', false], // anchored at the end
    ['https://accounts.google.com', 'https://accountsXgoogle.com', false], // "." is literal
    ['a(b)+c', 'a(b)+c', true], // regex syntax is literal
    ['owner/*', 'owner/repo/sub', true], // "*" crosses "/"
  ];
  it.each(cases)('%s ~ %s = %s', (glob, value, want) => {
    expect(globToRegExp(glob).test(value)).toBe(want);
  });

  it('an unset list matches anything, a missing claim matches nothing', () => {
    expect(anyGlob(undefined)(undefined)).toBe(true);
    expect(anyGlob(['*'])(undefined)).toBe(false);
  });
});

describe('claims', () => {
  it.each([
    ['https://github.com/Acme/App', 'github.com/acme/app'],
    ['github.com/acme/app.git', 'github.com/acme/app'],
    ['acme/app', 'github.com/acme/app'],
    ['https://gitlab.com/group/sub/project/', 'gitlab.com/group/sub/project'],
  ])('normalizeRepository(%s) = %s', (v, want) => {
    expect(normalizeRepository(v)).toBe(want);
  });

  it('falls back to the SAN and the github block when extensions are absent', () => {
    const c = claimsOf({
      kind: 'certificate',
      san: 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1',
      extensions: {},
      github: { ref: 'refs/tags/v1', trigger: 'push' },
    });
    expect(c).toMatchObject({
      sourceRepository: 'github.com/acme/app',
      workflowRef: 'acme/app/.github/workflows/release.yml@refs/tags/v1',
      ref: 'refs/tags/v1',
      trigger: 'push',
    });
  });
});
