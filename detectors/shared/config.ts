import type { z } from 'zod';
import { ConfigError } from '../../core/index.js';

/**
 * Parses a detector's config section. A bad value fails at start with CONFIG_INVALID and one
 * issue per bad key, its dotted path prefixed with where the section lives in the daemon config.
 */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  const res = schema.safeParse(raw ?? {});
  if (res.success) return res.data;
  const issues = res.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ConfigError('CONFIG_INVALID', `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}
