import type { z } from 'zod';
import { ConfigError } from './errors.js';

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
