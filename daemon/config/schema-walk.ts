import type { z } from 'zod';
import { type ConfigFieldKind, configFieldKind } from '../../core/index.js';

/**
 * Navigation of the config schema by the loader's passes (env overrides, legacy duration keys,
 * secret resolution, bare-number warnings): they follow the raw YAML value down the schema,
 * through wrappers, objects, arrays, records and unions, to the fields marked secret or duration
 * (core/config-fields.ts). Reads zod 4's public `_zod.def`.
 */
type AnySchema = z.ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
  discriminator?: string;
  values?: unknown[];
  getter?: () => AnySchema;
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** A schema node with its wrappers looked through: a marked field, or the structural node under them. */
export type Node =
  | { kind: ConfigFieldKind; schema: AnySchema }
  | { kind: 'object'; shape: Record<string, AnySchema> }
  | { kind: 'array'; element: AnySchema }
  | { kind: 'record'; value: AnySchema }
  | { kind: 'union'; options: AnySchema[]; discriminator: string | undefined }
  | { kind: 'leaf'; type: string; schema: AnySchema };

export function nodeOf(schema: AnySchema): Node {
  let cur = schema;
  for (let depth = 0; depth < 50; depth++) {
    const field = configFieldKind(cur);
    if (field) return { kind: field, schema: cur };
    const d = defOf(cur);
    if (WRAPPERS.has(d.type) && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else if (d.type === 'lazy' && d.getter) cur = d.getter();
    else if (d.type === 'object' && d.shape) return { kind: 'object', shape: d.shape };
    else if (d.type === 'array' && d.element) return { kind: 'array', element: d.element };
    else if (d.type === 'record' && d.valueType) return { kind: 'record', value: d.valueType };
    else if (d.type === 'union' && d.options) return { kind: 'union', options: d.options, discriminator: d.discriminator };
    else return { kind: 'leaf', type: d.type, schema: cur };
  }
  return { kind: 'leaf', type: 'unknown', schema: cur };
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The object shapes a union can take (object options, nested unions flattened). */
export function objectShapes(options: AnySchema[]): Record<string, AnySchema>[] {
  const out: Record<string, AnySchema>[] = [];
  for (const o of options) {
    const n = nodeOf(o);
    if (n.kind === 'object') out.push(n.shape);
    else if (n.kind === 'union') out.push(...objectShapes(n.options));
  }
  return out;
}

/**
 * The option of a union that a raw value is meant for: by discriminator when the union has one,
 * else the object option that knows most of the value's keys (`known` may accept more names, such
 * as legacy spellings). Undefined when none fits: validation will say why.
 */
export function unionOption(
  node: Extract<Node, { kind: 'union' }>,
  value: unknown,
  known: (shape: Record<string, AnySchema>, key: string) => boolean = hasKey,
): AnySchema | undefined {
  if (Array.isArray(value)) return node.options.find((o) => nodeOf(o).kind === 'array');
  if (!isPlainObject(value)) return undefined;
  let best: { option: AnySchema; score: number } | undefined;
  for (const option of node.options) {
    const n = nodeOf(option);
    if (n.kind === 'union') {
      const inner = unionOption(n, value, known);
      if (inner && !best) best = { option: inner, score: 0 };
      continue;
    }
    if (n.kind !== 'object') continue;
    const tag = node.discriminator !== undefined ? n.shape[node.discriminator] : undefined;
    if (tag && literalValues(tag).includes(value[node.discriminator!])) return option;
    // No (matching) discriminator: the option that knows most keys, so a half-written value still
    // gets its secrets resolved and its legacy keys renamed before validation explains the rest.
    const score = Object.keys(value).filter((k) => known(n.shape, k)).length;
    if (!best || score > best.score) best = { option, score };
  }
  return best?.option;
}

function literalValues(schema: AnySchema): unknown[] {
  const n = nodeOf(schema);
  return n.kind === 'leaf' && n.type === 'literal' ? (defOf(n.schema).values ?? []) : [];
}

/** Dotted config path, array indexes as segments: the form of ConfigError issue paths. */
export const joinPath = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

export const hasKey = (shape: Record<string, AnySchema>, key: string): boolean => Object.hasOwn(shape, key);

export interface Passes {
  /** A value at a field marked secret or duration; returns its replacement. */
  field?(kind: ConfigFieldKind, value: unknown, path: string): unknown;
  /** An object's raw value before its keys are visited; may return a replacement (renamed keys). */
  object?(shape: Record<string, AnySchema>, value: Record<string, unknown>, path: string): Record<string, unknown>;
  /** Names an object accepts beyond its keys (legacy spellings), for choosing among union options. */
  known?: (shape: Record<string, AnySchema>, key: string) => boolean;
}

/** Follows `value` down `schema` and returns a copy with the passes applied; what the schema does not know is left for validation. */
export function transformConfig(schema: AnySchema, value: unknown, passes: Passes, path = ''): unknown {
  if (value === undefined) return value;
  const n = nodeOf(schema);
  switch (n.kind) {
    case 'secret':
    case 'duration':
      return passes.field ? passes.field(n.kind, value, path) : value;
    case 'object': {
      if (!isPlainObject(value)) return value;
      const obj = passes.object ? passes.object(n.shape, value, path) : value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) out[k] = hasKey(n.shape, k) ? transformConfig(n.shape[k]!, v, passes, joinPath(path, k)) : v;
      return out;
    }
    case 'array':
      return Array.isArray(value) ? value.map((v, i) => transformConfig(n.element, v, passes, joinPath(path, i))) : value;
    case 'record':
      return isPlainObject(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, transformConfig(n.value, v, passes, joinPath(path, k))]))
        : value;
    case 'union': {
      const option = unionOption(n, value, passes.known);
      return option ? transformConfig(option, value, passes, path) : value;
    }
    case 'leaf':
      return value;
  }
}
