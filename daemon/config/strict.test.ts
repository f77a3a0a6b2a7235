import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { configSchema } from './schema.js';

/**
 * Every object level of the WHOLE assembled config schema (the daemon's sections plus every
 * registered module's and bus adapter's) must refuse unknown keys: a typo such as
 * `checkpointIntervl: 5s` must be an error, not a silently kept default. Walking the assembled
 * schema means a module added later cannot bring a lax section unnoticed.
 */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  getter?: () => z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Types that hold no nested schema: nothing below them can accept a key. */
const LEAVES = new Set([
  'string',
  'number',
  'int',
  'boolean',
  'bigint',
  'literal',
  'enum',
  'null',
  'undefined',
  'custom',
  'template_literal',
  'date',
  'any',
  'unknown',
  'never',
]);

/** Paths of object levels that accept unknown keys, and of node types this walk does not know (so it cannot be fooled). */
function laxLevels(root: z.ZodType): { lax: string[]; unknownTypes: string[]; objects: number } {
  const lax: string[] = [];
  const unknownTypes: string[] = [];
  const seen = new Set<z.ZodType>();
  let objects = 0;
  const walk = (s: z.ZodType | null | undefined, path: string): void => {
    if (!s || seen.has(s)) return;
    seen.add(s);
    const d = defOf(s);
    const child = (c: z.ZodType | null | undefined, p = path): void => walk(c, p);
    switch (d.type) {
      case 'object':
        objects++;
        if (!d.catchall || defOf(d.catchall).type !== 'never') lax.push(path || '(root)');
        for (const [k, v] of Object.entries(d.shape ?? {})) walk(v, path ? `${path}.${k}` : k);
        return;
      case 'array':
      case 'set':
        return child(d.element ?? d.valueType, `${path}[]`);
      case 'record':
      case 'map':
        return child(d.valueType, `${path}.*`);
      case 'union':
        return (d.options ?? []).forEach((o, i) => child(o, `${path}<${i}>`));
      case 'intersection':
        child(d.left);
        return child(d.right);
      case 'tuple':
        (d.items ?? []).forEach((o, i) => child(o, `${path}[${i}]`));
        return child(d.rest);
      case 'pipe':
        child(d.in);
        return child(d.out);
      case 'lazy':
        return child(d.getter?.());
      case 'transform':
        return;
      default:
        if (d.innerType) return child(d.innerType);
        if (!LEAVES.has(d.type)) unknownTypes.push(`${path}: ${d.type}`);
    }
  };
  walk(root, '');
  return { lax, unknownTypes, objects };
}

describe('config schema strictness', () => {
  it('refuses unknown keys at every object level of the assembled schema', () => {
    const { lax, unknownTypes, objects } = laxLevels(configSchema);
    // The walk really went through the module sections (not just the root).
    expect(objects).toBeGreaterThan(30);
    expect(unknownTypes).toEqual([]);
    expect(lax).toEqual([]);
  });

  it('rejects a misspelt key in the sections that used to accept them', () => {
    const bad = {
      bus: { embedded: { retention: { maxAgee: '1d' }, handlerRetry: { attemps: 3 } } },
      collectors: { rekor: [{ url: 'https://rekor.example', publicKey: 'x', rateLimit: { rps: 1 }, pollIntervl: '1s' }] },
      sinks: { audit: { checkpointIntervl: '5s', backend: { kind: 'opensearch', url: 'http://127.0.0.1:9200', pasword: 'p' } } },
    };
    const res = configSchema.safeParse(bad);
    expect(res.success).toBe(false);
    const unknown = res.error!.issues.filter((i) => i.code === 'unrecognized_keys').map((i) => [i.path.join('.'), (i as { keys: string[] }).keys]);
    expect(unknown).toEqual(
      expect.arrayContaining([
        ['bus.embedded.retention', ['maxAgee']],
        ['bus.embedded.handlerRetry', ['attemps']],
        ['collectors.rekor.0', ['pollIntervl']],
        ['collectors.rekor.0.rateLimit', ['rps']],
        ['sinks.audit', ['checkpointIntervl']],
        ['sinks.audit.backend', ['pasword']],
      ]),
    );
  });
});
