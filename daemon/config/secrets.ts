import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, Secret } from '../../core/index.js';

/**
 * A secret in config is never written inline in production configs: `{ env: NAME }` or
 * `{ file: PATH }` (an inline string is accepted for local testing). The loader resolves exactly
 * the fields whose schema is marked secret (core/config-fields.ts), hands them over as Secret, and
 * registers each value with the Redactor so it is scrubbed from every log line.
 */
export const secretRefSchema = z.union([z.string().min(1), z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);
export type SecretRef = z.infer<typeof secretRefSchema>;

export class Redactor {
  private readonly values = new Set<string>();
  add(value: string): void {
    // Very short values would redact innocent text everywhere; they are still never logged by key.
    if (value.length >= 4) this.values.add(value);
  }
  redact(line: string): string {
    let out = line;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join('[REDACTED]');
    return out;
  }
  get size(): number {
    return this.values.size;
  }
}

export function resolveSecret(ref: SecretRef, path: string, redactor: Redactor, env: NodeJS.ProcessEnv = process.env): string {
  let value: string | undefined;
  if (typeof ref === 'string') value = ref;
  else if ('env' in ref) {
    value = env[ref.env];
    if (value === undefined)
      throw new ConfigError('CONFIG_SECRET_UNREADABLE', `${path}: environment variable ${ref.env} is not set`, [
        { path, message: `environment variable ${ref.env} is not set` },
      ]);
  } else {
    try {
      value = readFileSync(ref.file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        'CONFIG_SECRET_UNREADABLE',
        `${path}: cannot read secret file ${ref.file}`,
        [{ path, message: `cannot read secret file ${ref.file}` }],
        err,
      );
    }
  }
  redactor.add(value);
  return value;
}

/**
 * The value of one secret field: a reference or inline string becomes a Secret; anything else is
 * left for validation to reject (its message names the path, never the value).
 */
export function secretField(value: unknown, path: string, redactor: Redactor, env: NodeJS.ProcessEnv): unknown {
  if (value instanceof Secret) {
    redactor.add(value.reveal());
    return value;
  }
  const ref = secretRefSchema.safeParse(value);
  return ref.success ? new Secret(resolveSecret(ref.data, path, redactor, env)) : value;
}
