import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../../core/index.js';
import { bareNumberWarning, type ConfigWarning, legacyDurationPass } from './durations.js';
import { envOverrides, setPath } from './env.js';
import { type Config, configSchema } from './schema.js';
import { transformConfig } from './schema-walk.js';
import { Redactor, secretField } from './secrets.js';

export type { ConfigWarning } from './durations.js';

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values, as dotted paths: { 'http.port': 9000, dataDir: '/x' }. */
  flags?: Record<string, unknown>;
  /** Register resolved secrets with this Redactor (a reload keeps the logger's) instead of a new one. */
  redactor?: Redactor;
  /** The schema to validate against (default: the one derived from daemon/registry.ts). */
  schema?: typeof configSchema;
}

export interface LoadedConfig {
  config: Config;
  redactor: Redactor;
  /** CHAINWATCH_* variables that map to no config key (reported as a warning at start). */
  ignoredEnv: string[];
  /** Deprecated spellings that were still accepted (legacy duration keys, bare numbers): printed by `config check`, logged at start. */
  warnings: ConfigWarning[];
  file: string | undefined;
}

/**
 * file -> env -> flags (later wins) -> fields -> validation. Legacy duration keys are renamed per
 * layer (so an environment override of the new key wins over a file's old one); then one walk of
 * the schema resolves the secret fields and flags bare-number durations. Throws ConfigError with
 * one issue per bad key.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const schema = opts.schema ?? configSchema;
  const warnings: ConfigWarning[] = [];
  const conflicts: ConfigWarning[] = [];
  const fromFile = opts.file ? readYaml(opts.file) : {};
  const raw = transformConfig(schema, fromFile, legacyDurationPass(warnings, conflicts)) as Record<string, unknown>;
  const { overrides, ignored } = envOverrides(schema, env);
  for (const o of overrides) {
    setPath(raw, o.path, o.value);
    if (o.deprecation) warnings.push({ path: o.path.join('.'), message: o.deprecation });
  }
  for (const [path, value] of Object.entries(opts.flags ?? {})) if (value !== undefined) setPath(raw, path.split('.'), value);
  const fromEnv = new Map(overrides.map((o) => [o.path.join('.'), o.variable]));
  const where = (path: string): string => (fromEnv.has(path) ? ` (from environment variable ${fromEnv.get(path)})` : '');
  if (conflicts.length) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `invalid configuration${opts.file ? ` in ${opts.file}` : ''}: ${conflicts.map((c) => `${c.path}: ${c.message}`).join('; ')}`,
      conflicts,
    );
  }
  const redactor = opts.redactor ?? new Redactor();
  const prepared = transformConfig(schema, raw, {
    field(kind, value, path) {
      if (kind === 'secret') return secretField(value, path, redactor, env);
      const w = bareNumberWarning(value, path);
      if (w) warnings.push({ ...w, message: w.message + where(path) });
      return value;
    },
  });
  const res = schema.safeParse(prepared);
  if (!res.success) {
    const issues = res.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    for (const i of issues) i.message += where(i.path);
    throw new ConfigError(
      'CONFIG_INVALID',
      `invalid configuration${opts.file ? ` in ${opts.file}` : ''}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const config = res.data as Config;
  config.dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir);
  return { config, redactor, ignoredEnv: ignored, warnings, file: opts.file };
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
