import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

/**
 * Request checks against GitHub's published OpenAPI description (@octokit/openapi, the
 * api.github.com document): the requestBody schema of the matching operation for JSON bodies,
 * and the operation's query parameters (types, enums, required). OpenAPI 3.0 schemas are turned
 * into JSON Schema first (`nullable` becomes a null type or branch); `example`/`x-*` are
 * annotations, hence strict: false.
 */
// ajv-formats is CommonJS: its plugin is the `default` property of what ESM imports.
const addFormats = ajvFormats.default;

interface Operation {
  operationId: string;
  parameters?: ({ $ref: string } | Param)[];
  requestBody?: { content?: Record<string, { schema?: object }> };
}
interface Param {
  name: string;
  in: string;
  required?: boolean;
  schema?: object;
}
interface Spec {
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { parameters: Record<string, Param> };
}

let spec: Spec | undefined;
function load(): Spec {
  spec ??= JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as Spec;
  return spec;
}

const bodyAjv = new Ajv({ strict: false, allErrors: true });
const queryAjv = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
addFormats(bodyAjv);
addFormats(queryAjv);

export interface OperationCheck {
  operationId: string;
  body: ValidateFunction | undefined;
  query: ValidateFunction;
}

const cache = new Map<string, OperationCheck>();

/** The operation for METHOD + spec path template, e.g. ('post', '/repos/{owner}/{repo}/issues'). */
export function operation(method: string, template: string): OperationCheck {
  const key = `${method} ${template}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const s = load();
  const op = s.paths[template]?.[method.toLowerCase()];
  if (!op) throw new Error(`no ${key} in @octokit/openapi`);
  const params = (op.parameters ?? []).map((p) => ('$ref' in p ? s.components.parameters[p.$ref.split('/').pop()!]! : p)).filter((p) => p.in === 'query');
  const query = queryAjv.compile({
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [p.name, toJsonSchema(p.schema ?? {})])),
    required: params.filter((p) => p.required).map((p) => p.name),
  });
  const schema = op.requestBody?.content?.['application/json']?.schema;
  const check: OperationCheck = { operationId: op.operationId, body: schema ? bodyAjv.compile(toJsonSchema(schema) as object) : undefined, query };
  cache.set(key, check);
  return check;
}

export function specVersion(): string {
  return load().info.version;
}

/** GitHub-style one-line reasons, e.g. "For 'properties/title', nil is not a string." */
export function reasons(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'invalid'}`).join('; ');
}

/** OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a "null" type (or a null oneOf/anyOf branch). */
export function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (k !== 'nullable') out[k] = toJsonSchema(v);
  if ((schema as { nullable?: unknown }).nullable !== true) return out;
  if (typeof out.type === 'string') out.type = [out.type, 'null'];
  else if (Array.isArray(out.oneOf)) out.oneOf = [...out.oneOf, { type: 'null' }];
  else if (Array.isArray(out.anyOf)) out.anyOf = [...out.anyOf, { type: 'null' }];
  else if (Array.isArray(out.allOf)) return { anyOf: [out, { type: 'null' }] };
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}
