import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { Secret } from './secret.js';

/**
 * Parses a component's config section with its schema. Any problem is ConfigError('CONFIG_INVALID')
 * with one issue per bad key, its dotted path prefixed with `where` (the section's place in the
 * daemon config, e.g. "detectors.logIntegrity"; empty for no prefix).
 */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const issues = res.error.issues.map((i) => ({ path: [...(where ? [where] : []), ...i.path.map(String)].join('.'), message: i.message }));
  throw new ConfigError('CONFIG_INVALID', `invalid ${where || 'component'} config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/**
 * A short digest of a parsed config value, for the supervisor's reconcile: a component whose
 * section entry has the same fingerprint after a config reload keeps running. Secrets count by a
 * digest of their value (a rotated token restarts the component) and never appear in the output.
 */
export function configFingerprint(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(forHash(value, 0)))
    .digest('hex')
    .slice(0, 16);
}

function forHash(v: unknown, depth: number): unknown {
  if (depth > 64) return '(deep)';
  if (v instanceof Secret) return { secret: createHash('sha256').update(v.reveal()).digest('hex') };
  if (v instanceof RegExp) return { regexp: v.toString() };
  if (Array.isArray(v)) return v.map((x) => forHash(x, depth + 1));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, forHash(x, depth + 1)]));
  return v;
}
