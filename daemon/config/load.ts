import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../../core/index.js';
import { envOverrides, setPath } from './env.js';
import { type Config, configSchema } from './schema.js';
import { transformConfig } from './schema-walk.js';
import { Redactor, secretField } from './secrets.js';

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values, as dotted paths: { 'http.port': 9000, dataDir: '/x' }. */
  flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  redactor: Redactor;
  /** CHAINWATCH_* variables that map to no config key (reported as a warning at start). */
  ignoredEnv: string[];
  file: string | undefined;
}

/**
 * file -> env -> flags (later wins) -> secrets -> validation. One walk of the schema resolves the
 * fields marked secret (core/config-fields.ts). Throws ConfigError with one issue per bad key.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const raw: Record<string, unknown> = opts.file ? readYaml(opts.file) : {};
  const { overrides, ignored } = envOverrides(configSchema, env);
  for (const o of overrides) setPath(raw, o.path, o.value);
  for (const [path, value] of Object.entries(opts.flags ?? {})) if (value !== undefined) setPath(raw, path.split('.'), value);
  const fromEnv = new Map(overrides.map((o) => [o.path.join('.'), o.variable]));
  const where = (path: string): string => (fromEnv.has(path) ? ` (from environment variable ${fromEnv.get(path)})` : '');
  const redactor = new Redactor();
  const prepared = transformConfig(configSchema, raw, {
    field: (kind, value, path) => (kind === 'secret' ? secretField(value, path, redactor, env) : value),
  });
  const res = configSchema.safeParse(prepared);
  if (!res.success) {
    const issues = res.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    for (const i of issues) i.message += where(i.path);
    throw new ConfigError(
      'CONFIG_INVALID',
      `invalid configuration${opts.file ? ` in ${opts.file}` : ''}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const config = res.data;
  config.dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir);
  return { config, redactor, ignoredEnv: ignored, file: opts.file };
}

function readYaml(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new ConfigError('CONFIG_NOT_FOUND', `config file not found: ${file}`, [{ path: '(file)', message: `not found: ${file}` }]);
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'unknown position';
    throw new ConfigError(
      'CONFIG_PARSE',
      `cannot parse ${file} (${where}): ${e.code}`,
      [{ path: '(file)', message: `${where}: ${e.message.split('\n')[0]}` }],
      e,
    );
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('CONFIG_INVALID', `${file}: the top level must be a mapping`, [{ path: '(root)', message: 'expected a mapping of keys' }]);
  }
  return value as Record<string, unknown>;
}
