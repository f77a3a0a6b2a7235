import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../core/index.js';

/**
 * A secret in config is never written inline in production configs: `{ env: NAME }` or
 * `{ file: PATH }` (an inline string is accepted for local testing). Resolved values are
 * registered with the Redactor so they are scrubbed from every log line.
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

/** Walks a parsed config and replaces every secret reference under a key marked secret. */
export const SECRET_KEYS = /^(password|token|apiToken|bearerToken|secret|hmacSecret|routingKey|webhookUrl|authorization|privateKey|pin|sasl)$/i;

export function resolveSecrets(value: unknown, redactor: Redactor, path = '', env: NodeJS.ProcessEnv = process.env): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(v, redactor, `${path}[${i}]`, env));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      // `key` is a secret only as a TLS private key (bus.kafka.ssl.key); elsewhere it is a name.
      const secret = SECRET_KEYS.test(k) || (k === 'key' && /(^|\.)ssl$/.test(path));
      if (secret && (typeof v === 'string' || (v !== null && typeof v === 'object' && ('env' in v || 'file' in v) && Object.keys(v).length === 1))) {
        out[k] = resolveSecret(v as SecretRef, p, redactor, env);
      } else out[k] = resolveSecrets(v, redactor, p, env);
    }
    return out;
  }
  return value;
}
