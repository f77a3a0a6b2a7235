import { z } from 'zod';

/**
 * Config fields that need more than validation are marked on their schema, and the daemon's config
 * loader finds them by walking the schema (never by key name):
 *   - `secret`: `{ env: NAME }` / `{ file: PATH }` references are resolved, the value becomes a
 *     Secret and is registered for log scrubbing (core/secret.ts);
 *   - `duration`: '500ms' / '30s' / '5m' / '1h' / '7d', parsed to milliseconds; a legacy `fooMs`
 *     key or a bare number is accepted for one release with a warning (core/duration.ts).
 * Marks survive `.refine()` (zod keeps the parent's metadata); wrappers such as `.optional()` and
 * `.default()` are looked through by the walker.
 */
export type ConfigFieldKind = 'secret' | 'duration';

const fieldKinds = z.registry<{ kind: ConfigFieldKind }>();

export function markConfigField<S extends z.ZodType>(schema: S, kind: ConfigFieldKind): S {
  fieldKinds.add(schema, { kind });
  return schema;
}

export function configFieldKind(schema: z.ZodType): ConfigFieldKind | undefined {
  return fieldKinds.get(schema)?.kind;
}

const SECRET_JSON_SCHEMA = {
  description: 'A secret: `{ env: NAME }` or `{ file: PATH }` (an inline string only for local testing)',
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', properties: { env: { type: 'string', minLength: 1 } }, required: ['env'], additionalProperties: false },
    { type: 'object', properties: { file: { type: 'string', minLength: 1 } }, required: ['file'], additionalProperties: false },
  ],
};

const DURATION_JSON_SCHEMA = {
  description: "A duration: '500ms', '30s', '5m', '1h', '7d' (a bare number of milliseconds is deprecated)",
  anyOf: [
    { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' },
    { type: 'integer', minimum: 0, deprecated: true },
  ],
};

/** JSON Schema of a config schema (for editors), with secrets and durations in their file spelling. */
export function configJsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const kind = configFieldKind(ctx.zodSchema as unknown as z.ZodType);
      if (!kind) return;
      const replacement = kind === 'secret' ? SECRET_JSON_SCHEMA : DURATION_JSON_SCHEMA;
      const keep = 'default' in ctx.jsonSchema ? { default: ctx.jsonSchema.default } : {};
      for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[k];
      Object.assign(ctx.jsonSchema, structuredClone(replacement), keep);
    },
  });
}
