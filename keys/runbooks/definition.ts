import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ChainwatchError, describeError, duration } from '../../core/index.js';

/**
 * Declarative runbooks: a YAML file of typed steps, validated whole at load so a bad file never
 * starts a run. Every problem is a RunbookError with a code and a location (file, line, step,
 * field path). Steps run one at a time in dependency order: `after: [ids]`, by default the step
 * listed before.
 *
 *   name: revoke-key
 *   parameters: { key: { pattern: '^[0-9a-f]{64}$' }, reason: {} }
 *   steps:
 *     - { id: approvals, type: require-approvals, with: { min: 2, timeout: 1h } }
 *     - { id: disable, type: hsm-disable-key, with: { key: '${key}', policy: disable } }
 */
export type RunbookErrorCode =
  | 'RUNBOOK_NOT_FOUND'
  | 'RUNBOOK_PARSE'
  | 'RUNBOOK_INVALID'
  | 'RUNBOOK_UNKNOWN_STEP'
  | 'RUNBOOK_BAD_PARAMS'
  | 'RUNBOOK_DUPLICATE_STEP'
  | 'RUNBOOK_UNKNOWN_DEPENDENCY'
  | 'RUNBOOK_CYCLE'
  | 'RUNBOOK_PARAMETER_MISSING'
  | 'RUNBOOK_PARAMETER_INVALID';

export interface RunbookLocation {
  file: string;
  line?: number;
  step?: string;
  path?: string;
}

export class RunbookError extends ChainwatchError<RunbookErrorCode> {
  readonly location: RunbookLocation | undefined;
  constructor(code: RunbookErrorCode, message: string, location?: RunbookLocation, cause?: unknown) {
    const where = location
      ? `${location.file}${location.line ? `:${location.line}` : ''}${location.step ? ` step ${location.step}` : ''}${location.path ? ` (${location.path})` : ''}: `
      : '';
    super(code, `${where}${message}`, { cause });
    this.location = location;
  }
}

const templated = z.string().min(1).max(2000);
const keyId = z.string().regex(/^(?:[0-9a-f]{64}|\$\{[a-zA-Z_][a-zA-Z0-9_]*\})$/, 'a keyId (64 hex) or a ${parameter}');

/** Each step type's parameters (`with:`), strict: a misspelt field is an error at load, not at 3 a.m. */
export const STEP_PARAMS = {
  'require-approvals': z.strictObject({
    min: z.number().int().min(1).max(32),
    /** Names of the configured approvers who may approve; default all of them. */
    approvers: z.array(z.string().min(1)).min(1).optional(),
    /** How long the run waits for approvals before failing APPROVALS_INSUFFICIENT. */
    timeout: duration({ min: 1000 }).prefault('1h'),
  }),
  'hsm-disable-key': z.strictObject({
    key: keyId,
    /** disable: CKA_SIGN false; archive: also relabelled "archived:<label>"; destroy: the private key object is destroyed. */
    policy: z.enum(['disable', 'archive', 'destroy']).default('disable'),
  }),
  'publish-revocation': z.strictObject({ key: keyId, reason: templated }),
  'find-signed': z.strictObject({ key: keyId, limit: z.number().int().min(1).max(10_000).default(1000) }),
  'open-incident': z.strictObject({
    severity: z.enum(['low', 'medium', 'high', 'critical']).default('critical'),
    summary: templated,
  }),
  notify: z.strictObject({ message: templated, severity: z.enum(['info', 'low', 'medium', 'high', 'critical']).default('info') }),
  rotate: z.strictObject({
    /** The key being replaced (its retirement is scheduled). */
    key: keyId,
    /** Label of the new key on the token (the run id is appended). */
    label: z.string().regex(/^[A-Za-z0-9._${}-]{1,48}$/),
    algorithm: z.enum(['ecdsa-p256-sha256', 'ecdsa-p384-sha384']).default('ecdsa-p256-sha256'),
    /** The old key stays trusted this long, then it is revoked (keys.revoked.v1 with a future revokedAt). */
    retireAfter: duration({ min: 0 }).prefault('7d'),
  }),
} as const;
export type StepType = keyof typeof STEP_PARAMS;
export const STEP_TYPES = Object.keys(STEP_PARAMS) as StepType[];
export type StepParams<T extends StepType> = z.output<(typeof STEP_PARAMS)[T]>;

export type Step = { [T in StepType]: { id: string; type: T; after: string[]; with: StepParams<T> } }[StepType];

export interface Runbook {
  name: string;
  description: string;
  file: string;
  parameters: Record<string, { pattern?: string; description?: string; default?: string }>;
  /** In execution order (dependencies first). */
  steps: Step[];
}

const fileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  description: z.string().max(2000).default(''),
  parameters: z
    .record(
      z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/),
      z.strictObject({ pattern: z.string().optional(), description: z.string().optional(), default: z.string().optional() }),
    )
    .default({}),
  steps: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
        type: z.string().min(1),
        after: z.array(z.string()).optional(),
        with: z.record(z.string(), z.unknown()).default({}),
      }),
    )
    .min(1)
    .max(64),
});

/** Loads `<dir>/<name>.yaml`. Throws RunbookError. */
export function loadRunbook(dir: string, name: string): Runbook {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) throw new RunbookError('RUNBOOK_NOT_FOUND', `bad runbook name ${JSON.stringify(name)}`);
  const file = join(dir, `${name}.yaml`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RunbookError('RUNBOOK_NOT_FOUND', `cannot read the runbook: ${describeError(err).message}`, { file }, err);
  }
  const rb = parseRunbook(text, file);
  if (rb.name !== name) throw new RunbookError('RUNBOOK_INVALID', `the file names runbook ${rb.name}, expected ${name}`, { file, path: 'name' });
  return rb;
}

/** Parses and validates one runbook's text. Throws RunbookError. */
export function parseRunbook(text: string, file: string): Runbook {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors[0]) {
    const e = doc.errors[0];
    throw new RunbookError('RUNBOOK_PARSE', e.message.split('\n')[0]!, { file, ...(e.linePos?.[0] ? { line: e.linePos[0].line } : {}) }, e);
  }
  const lineOf = (path: (string | number)[]) => lineAt(doc, lines, path);
  const parsed = fileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new RunbookError('RUNBOOK_INVALID', i.message, { file, path: i.path.join('.'), ...withLine(lineOf(i.path as (string | number)[])) });
  }
  const raw = parsed.data;
  const ids = new Set<string>();
  const steps: Step[] = raw.steps.map((s, index) => {
    const at = (path: (string | number)[], extra: Partial<RunbookLocation> = {}): RunbookLocation => ({
      file,
      step: s.id,
      path: ['steps', index, ...path].join('.'),
      ...withLine(lineOf(['steps', index, ...path])),
      ...extra,
    });
    if (ids.has(s.id)) throw new RunbookError('RUNBOOK_DUPLICATE_STEP', `step id ${s.id} is used twice`, at(['id']));
    ids.add(s.id);
    if (!(STEP_TYPES as string[]).includes(s.type))
      throw new RunbookError('RUNBOOK_UNKNOWN_STEP', `unknown step type ${JSON.stringify(s.type)} (one of ${STEP_TYPES.join(', ')})`, at(['type']));
    const type = s.type as StepType;
    const params = STEP_PARAMS[type].safeParse(s.with);
    if (!params.success) {
      const i = params.error.issues[0]!;
      throw new RunbookError('RUNBOOK_BAD_PARAMS', `${type}: ${i.message}`, at(['with', ...(i.path as (string | number)[])]));
    }
    for (const ref of templateRefs(JSON.stringify(s.with))) {
      if (!(ref in raw.parameters)) throw new RunbookError('RUNBOOK_BAD_PARAMS', `\${${ref}} names no declared parameter`, at(['with']));
    }
    const after = s.after ?? (index > 0 ? [raw.steps[index - 1]!.id] : []);
    return { id: s.id, type, after, with: params.data } as Step;
  });
  for (const [index, s] of steps.entries()) {
    for (const dep of s.after) {
      if (!ids.has(dep))
        throw new RunbookError('RUNBOOK_UNKNOWN_DEPENDENCY', `after: no step ${dep}`, {
          file,
          step: s.id,
          path: `steps.${index}.after`,
          ...withLine(lineOf(['steps', index, 'after'])),
        });
    }
  }
  return { name: raw.name, description: raw.description, file, parameters: raw.parameters, steps: topoOrder(steps, file) };
}

/** Kahn's algorithm, stable in file order; what remains when no step is free is a cycle. */
function topoOrder(steps: Step[], file: string): Step[] {
  const done = new Set<string>();
  const out: Step[] = [];
  let rest = steps;
  while (rest.length > 0) {
    const free = rest.filter((s) => s.after.every((d) => done.has(d)));
    if (free.length === 0) {
      throw new RunbookError('RUNBOOK_CYCLE', `the steps ${rest.map((s) => s.id).join(', ')} depend on each other in a cycle`, { file, step: rest[0]!.id });
    }
    for (const s of free) {
      done.add(s.id);
      out.push(s);
    }
    rest = rest.filter((s) => !done.has(s.id));
  }
  return out;
}

function templateRefs(text: string): string[] {
  return [...text.matchAll(/\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g)].map((m) => m[1]!);
}

/** Checks a run's parameters against the runbook's declarations and fills defaults. Throws RunbookError. */
export function bindParameters(rb: Runbook, given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(given)) {
    if (!(name in rb.parameters))
      throw new RunbookError('RUNBOOK_PARAMETER_INVALID', `the runbook takes no parameter ${name}`, { file: rb.file, path: `parameters.${name}` });
  }
  for (const [name, decl] of Object.entries(rb.parameters)) {
    const value = given[name] ?? decl.default;
    if (value === undefined)
      throw new RunbookError('RUNBOOK_PARAMETER_MISSING', `parameter ${name} is required`, { file: rb.file, path: `parameters.${name}` });
    if (decl.pattern && !new RegExp(decl.pattern).test(value))
      throw new RunbookError('RUNBOOK_PARAMETER_INVALID', `parameter ${name} does not match ${decl.pattern}`, { file: rb.file, path: `parameters.${name}` });
    out[name] = value;
  }
  return out;
}

/** A step's parameters with `${name}` replaced by the run's parameters (values are never re-expanded). */
export function resolveStep<S extends Step>(step: S, parameters: Record<string, string>): S {
  const sub = (v: unknown): unknown =>
    typeof v === 'string'
      ? v.replace(/\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g, (_, n: string) => parameters[n] ?? '')
      : Array.isArray(v)
        ? v.map(sub)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sub(x)]))
          : v;
  return { ...step, with: sub(step.with) };
}

const withLine = (line: number | undefined): { line?: number } => (line ? { line } : {});

function lineAt(doc: Document, lines: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && (isMap(node) || isSeq(node) || node.range)) {
      const r = node.range;
      if (r) return lines.linePos(r[0]).line;
    }
  }
  return undefined;
}
