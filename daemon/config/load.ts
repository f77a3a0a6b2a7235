import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type Document, isNode, isScalar, LineCounter, parseDocument, visit, type YAMLError, YAMLParseError } from 'yaml';
import { ConfigError, describeError } from '../../core/index.js';
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

/**
 * Largest config file read: real ones are a few KB; a cap keeps a mistaken or hostile file (a
 * 100 MB string) from costing gigabytes of memory before validation could refuse it.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Aliases one document may expand (the `yaml` default, stated here because it is a defence: alias bombs). */
const MAX_ALIAS_COUNT = 100;

const parseError = (file: string, message: string, cause?: unknown): ConfigError =>
  new ConfigError('CONFIG_PARSE', `cannot parse ${file}: ${message}`, [{ path: '(file)', message: `${file}: ${message}` }], cause);

function readYaml(file: string): Record<string, unknown> {
  const text = readConfigText(file);
  // `uniqueKeys: false`: the library compares each key with every earlier one of its mapping
  // (quadratic: a 710 KB file took 37 s); duplicateKey() does the same check with a Set.
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter: lines });
  const e = doc.errors[0] ?? duplicateKey(doc, lines);
  if (e) {
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'unknown position';
    throw parseError(file, `${where}: ${e.code}: ${e.message.split('\n')[0]}`, e);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  } catch (err) {
    // The library's resource-exhaustion guard (a ReferenceError): too many alias expansions.
    throw parseError(file, `too many YAML alias expansions (more than ${MAX_ALIAS_COUNT}): ${describeError(err).message}`, err);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('CONFIG_INVALID', `${file}: the top level must be a mapping`, [{ path: '(root)', message: 'expected a mapping of keys' }]);
  }
  return value as Record<string, unknown>;
}

function readConfigText(file: string): string {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw parseError(file, 'is a directory, not a config file');
    size = st.size;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConfigError('CONFIG_NOT_FOUND', `config file not found: ${file}`, [{ path: '(file)', message: `not found: ${file}` }]);
    throw parseError(file, `cannot read: ${describeError(err).message}`, err);
  }
  if (size > MAX_CONFIG_BYTES) throw parseError(file, `${size} bytes, more than the ${MAX_CONFIG_BYTES} a config file may have`);
  try {
    const text = readFileSync(file, 'utf8');
    // The file may have grown since stat (or be a pipe, which stat sizes as 0).
    if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw parseError(file, `more than the ${MAX_CONFIG_BYTES} bytes a config file may have`);
    return text;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw parseError(file, `cannot read: ${describeError(err).message}`, err);
  }
}

/** The first key repeated within one mapping, as a YAML error (what `uniqueKeys: true` reports), found in linear time. */
function duplicateKey(doc: Document, lines: LineCounter): YAMLError | undefined {
  let found: YAMLError | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        // Scalars compare by value (as the library does); other keys by identity.
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const offset = isNode(pair.key) && pair.key.range ? pair.key.range[0] : 0;
        found = new YAMLParseError([offset, offset + 1], 'DUPLICATE_KEY', 'Map keys must be unique');
        found.linePos = [lines.linePos(offset)];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
