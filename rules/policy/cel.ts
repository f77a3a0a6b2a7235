import type * as Cel from '@bufbuild/cel';

/**
 * CEL conditions over one attestation (docs/policy.md lists the variables): `predicate` (the
 * in-toto predicate, when the event carries it inline), `summary` (bounded facts parsed from known
 * predicate types) and `predicateType`. Each expression is parsed and planned once, at load; an
 * evaluation is then one call of the planned function.
 */
let loaded: { cel: typeof Cel; env: ReturnType<typeof Cel.celEnv> } | undefined;

/**
 * Loads @bufbuild/cel and its environment, once. It is not imported statically: a daemon without
 * image policies does not carry it (~4 MiB of heap at import; test/daemon/idle-memory.test.ts).
 * loadPolicies awaits it; callers of buildPolicySet with CEL conditions await it first.
 */
export async function loadCel(): Promise<void> {
  if (loaded) return;
  const cel = await import('@bufbuild/cel');
  loaded ??= { cel, env: cel.celEnv({ variables: { predicate: cel.CelScalar.DYN, summary: cel.CelScalar.DYN, predicateType: cel.CelScalar.STRING } }) };
}

function celLib(): { cel: typeof Cel; env: ReturnType<typeof Cel.celEnv> } {
  if (!loaded) throw new Error('CEL is not loaded: await loadCel() before compiling policy conditions (loadPolicies does)');
  return loaded;
}

export interface CelInput {
  predicate: unknown;
  summary: Record<string, unknown>;
  predicateType: string;
}

export type CelOutcome = { kind: 'true' } | { kind: 'false' } | { kind: 'error'; message: string };

export interface CompiledCondition {
  expression: string;
  /** The expression reads `predicate`: without an inline predicate it cannot be evaluated. */
  usesPredicate: boolean;
  evaluate(input: CelInput): CelOutcome;
}

/** Where the syntax error is inside the expression (1-based line and column), with the parser's reason. */
export class CelSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

export function compileCondition(expression: string): CompiledCondition {
  const { cel, env } = celLib();
  let parsed: ReturnType<typeof Cel.parse>;
  try {
    parsed = cel.parse(expression);
  } catch (err) {
    const loc = (err as { location?: { start?: { line: number; column: number } } }).location?.start;
    const reason = (err as Error).message.replace(/^<input>:\d+:\d+: /, '');
    throw new CelSyntaxError(reason, loc?.line ?? 1, loc?.column ?? 1);
  }
  const run = cel.plan(env, parsed);
  return {
    expression,
    usesPredicate: readsIdent(parsed.expr, 'predicate'),
    evaluate(input) {
      const r = run(input as never);
      if (cel.isCelError(r)) return { kind: 'error', message: r.message };
      if (r === true) return { kind: 'true' };
      if (r === false) return { kind: 'false' };
      return { kind: 'error', message: `the condition evaluated to ${typeof r}, not a bool` };
    },
  };
}

/** Whether the AST reads the identifier `name` anywhere (identExpr nodes of the CEL syntax tree). */
function readsIdent(node: unknown, name: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  const kind = (node as { exprKind?: { case?: string; value?: { name?: string } } }).exprKind;
  if (kind?.case === 'identExpr' && kind.value?.name === name) return true;
  for (const v of Object.values(node)) {
    if (Array.isArray(v) ? v.some((x) => readsIdent(x, name)) : readsIdent(v, name)) return true;
  }
  return false;
}
