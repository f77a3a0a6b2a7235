/**
 * Allowlist globs: anchored, case-sensitive, `*` matches any run of characters (including "/"),
 * nothing else is special. Deliberately poorer than regex: allowlist entries must read as exactly
 * what they allow.
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'u');
}

export type Matcher = (value: string | undefined) => boolean;

/** Any of the globs; an absent list matches anything (the field is unconstrained). */
export function anyGlob(globs: readonly string[] | undefined, normalize: (s: string) => string = (s) => s): Matcher {
  if (globs === undefined) return () => true;
  const res = globs.map((g) => globToRegExp(normalize(g)));
  return (value) => value !== undefined && res.some((re) => re.test(normalize(value)));
}
