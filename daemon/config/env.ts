import type { z } from 'zod';

/**
 * CHAINWATCH_* environment overrides. Nesting uses a double underscore and key segments match
 * schema keys case-insensitively without underscores:
 *   CHAINWATCH_DATA_DIR=/var/lib/cw         -> dataDir
 *   CHAINWATCH_HTTP__PORT=9000              -> http.port
 *   CHAINWATCH_BUS__KAFKA__BROKERS=a:9092,b:9092 -> bus.kafka.brokers (comma list)
 * Variables that name no config key (CHAINWATCH_CACHE, CHAINWATCH_TEST_*...) are reported as ignored.
 */
type AnySchema = z.ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if ((d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'prefault') && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else break;
  }
  return cur;
}

/** Variables of the project's scripts and tests, not config. */
const TOOLING_VARIABLES = /^CHAINWATCH_(ROOT|CACHE|RUN|REALDATA|SERVICES|TEST_.*|(KAFKA|OPENSEARCH|REKOR|TRILLIAN|ALERTMANAGER|MAILPIT)_.*)$/;

const norm = (k: string): string => k.replace(/_/g, '').toLowerCase();

export interface EnvOverride {
  variable: string;
  path: string[];
  value: unknown;
}

export function envOverrides(schema: AnySchema, env: NodeJS.ProcessEnv): { overrides: EnvOverride[]; ignored: string[] } {
  const overrides: EnvOverride[] = [];
  const ignored: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('CHAINWATCH_') || raw === undefined || TOOLING_VARIABLES.test(name)) continue;
    const segments = name.slice('CHAINWATCH_'.length).split('__');
    let cur: AnySchema = schema;
    const path: string[] = [];
    let ok = true;
    for (const seg of segments) {
      const obj = unwrap(cur);
      const d = defOf(obj);
      const shape = d.type === 'object' ? (obj as unknown as { shape: Record<string, AnySchema> }).shape : undefined;
      const key = shape && Object.keys(shape).find((k) => norm(k) === norm(seg));
      if (!shape || !key) {
        ok = false;
        break;
      }
      path.push(key);
      cur = shape[key]!;
    }
    if (!ok) {
      ignored.push(name);
      continue;
    }
    overrides.push({ variable: name, path, value: coerce(unwrap(cur), raw) });
  }
  return { overrides, ignored };
}

function coerce(leaf: AnySchema, raw: string): unknown {
  switch (defOf(leaf).type) {
    case 'string':
    case 'enum':
      return raw;
    case 'number':
    case 'int':
      return raw.trim() === '' ? raw : Number(raw);
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'array':
      if (raw.trim().startsWith('[')) return parseJson(raw);
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => coerce(unwrap((defOf(leaf) as unknown as { element: AnySchema }).element), s));
    default:
      return parseJson(raw);
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = target;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    if (!next || typeof next !== 'object' || Array.isArray(next)) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}
