import type { z } from 'zod';
import { legacyDurationKey, legacyDurationSpellings, legacyDurationValue } from './durations.js';
import { nodeOf, objectShapes } from './schema-walk.js';

/**
 * CHAINWATCH_* environment overrides. Nesting uses a double underscore and key segments match
 * schema keys case-insensitively without underscores:
 *   CHAINWATCH_DATA_DIR=/var/lib/cw                 -> dataDir
 *   CHAINWATCH_HTTP__PORT=9000                      -> http.port
 *   CHAINWATCH_BUS__KAFKA__BROKERS=a:9092,b:9092    -> bus.kafka.brokers (comma list)
 *   CHAINWATCH_BUS__KAFKA__SASL__PASSWORD=...       -> bus.kafka.sasl.password (a secret field: taken verbatim)
 *   CHAINWATCH_SHUTDOWN__DEADLINE=30s               -> shutdown.deadline
 * Segments go through unions too (bus.kafka.sasl is one per mechanism). A legacy duration name
 * (…_DEADLINE_MS=15000) still works for one release and is reported as deprecated.
 * Variables that name no config key (CHAINWATCH_CACHE, CHAINWATCH_TEST_*...) are reported as ignored.
 */
type AnySchema = z.ZodType;

/** Variables of the project's scripts and tests, not config. */
const TOOLING_VARIABLES =
  /^CHAINWATCH_(ROOT|CACHE|RUN|REALDATA|SERVICES|TEST_.*|(KAFKA|OPENSEARCH|REKOR|REKOR2|TRILLIAN|CTFILL|ALERTMANAGER|MAILPIT|CTLOG|SUNLIGHT|SOFTHSM|COSIGN|OCIREG|REGISTRY|MODEL|KUBE)_.*|CRANE|ORAS|COSIGN)$/;

const norm = (k: string): string => k.replace(/_/g, '').toLowerCase();

export interface EnvOverride {
  variable: string;
  path: string[];
  value: unknown;
  /** Set when the variable used a legacy duration name: the warning that says what to set instead. */
  deprecation?: string;
}

export function envOverrides(schema: AnySchema, env: NodeJS.ProcessEnv): { overrides: EnvOverride[]; ignored: string[] } {
  const overrides: EnvOverride[] = [];
  const ignored: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('CHAINWATCH_') || raw === undefined || TOOLING_VARIABLES.test(name)) continue;
    const o = resolveVariable(schema, name, raw);
    if (o) overrides.push(o);
    else ignored.push(name);
  }
  return { overrides, ignored };
}

function resolveVariable(schema: AnySchema, name: string, raw: string): EnvOverride | undefined {
  const segments = name.slice('CHAINWATCH_'.length).split('__');
  let cur: AnySchema = schema;
  const path: string[] = [];
  for (const [i, seg] of segments.entries()) {
    const shapes = shapesOf(cur);
    const shape = shapes.find((s) => Object.keys(s).some((k) => norm(k) === norm(seg)));
    const key = shape && Object.keys(shape).find((k) => norm(k) === norm(seg));
    if (shape && key) {
      path.push(key);
      cur = shape[key]!;
      continue;
    }
    // A legacy duration name is the last segment only: FOO_MS -> foo, its number scaled to a duration.
    if (i !== segments.length - 1) return undefined;
    for (const s of shapes) {
      const legacyName = legacyDurationSpellings(s).find((k) => norm(k) === norm(seg));
      const legacy = legacyName && legacyDurationKey(s, legacyName);
      if (!legacy) continue;
      const value = legacyDurationValue(numeric(raw), legacy.factor);
      const segs = name.split('__');
      segs[segs.length - 1] = legacy.key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
      const deprecation = `${name} (${[...path, legacyName].join('.')}) is deprecated: set ${segs.join('__')}=${String(value)}`;
      return { variable: name, path: [...path, legacy.key], value, deprecation };
    }
    return undefined;
  }
  return { variable: name, path, value: coerce(cur, raw) };
}

/** The object shapes a segment can name a key of: the object itself, or every object option of a union. */
function shapesOf(schema: AnySchema): Record<string, AnySchema>[] {
  const n = nodeOf(schema);
  if (n.kind === 'object') return [n.shape];
  if (n.kind === 'union') return objectShapes(n.options);
  return [];
}

const numeric = (raw: string): unknown => (/^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw);

function coerce(schema: AnySchema, raw: string): unknown {
  const n = nodeOf(schema);
  switch (n.kind) {
    case 'secret':
      // The variable holds the secret itself; JSON-parsing it could turn "12345" into a number.
      return raw;
    case 'duration':
      // Digits alone are the deprecated bare milliseconds: kept a number so the loader warns.
      return numeric(raw);
    case 'array':
      if (raw.trim().startsWith('[')) return parseJson(raw);
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => coerce(n.element, s));
    case 'leaf':
      switch (n.type) {
        case 'string':
        case 'enum':
        case 'literal':
          return raw;
        case 'number':
        case 'int':
          return raw.trim() === '' ? raw : Number(raw);
        case 'boolean':
          return raw === 'true' ? true : raw === 'false' ? false : raw;
        default:
          return parseJson(raw);
      }
    case 'object':
    case 'record':
    case 'union':
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
