import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { lintDependencies, type Violation } from '../../scripts/lint-deps/run.mjs';

// Scratch trees for the dependency lint's tests (test/lint-deps*.test.ts): every rule is planted
// in one and must be reported exactly (severity, rule, file, target).

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

// Scratch trees have no node_modules: the packages they import are declared, so the lint accepts
// them unresolved (a bare name that is declared in package.json), as in a fresh checkout.
const PACKAGE_JSON = JSON.stringify({ type: 'module', dependencies: { kafkajs: '*', '@platformatic/kafka': '*' }, devDependencies: { vitest: '*' } });

export function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cw-lint-'));
  scratch.push(root);
  for (const [p, text] of Object.entries({ 'package.json': `${PACKAGE_JSON}\n`, ...files })) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

export const show = (v: Violation) => `${v.severity} ${v.rule}: ${v.from} -> ${v.to}${v.via ? ` via ${v.via.join(' -> ')}` : ''}`;

/** Lints BASE plus `files` (which may replace BASE's); the violations, shown and sorted. */
export async function lint(files: Record<string, string>): Promise<string[]> {
  return (await lintDependencies(tree({ ...BASE, ...files }))).violations.map(show).sort();
}

// A minimal clean tree the cases add to.
export const BASE = {
  'core/index.ts': "export * from './tlog/index.js';\nexport const x = 1;\nexport type T = number;\n",
  'core/tlog/index.ts': "export { verify } from './verify.js';\n",
  'core/tlog/verify.ts': 'export const verify = 1;\nexport type Proof = string;\n',
  'core/testing/index.ts': "import { x } from '../index.js';\nexport const twin = x;\n",
  'collectors/rekor/index.ts': "import { x } from '../../core/index.js';\nexport const c = x;\n",
  'bus/kafka/index.ts': "export const load = () => import('./kafka-bus.js');\n",
  'bus/kafka/kafka-bus.ts': "import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n",
  'test/helpers/z.ts': "export { c as signer } from '../../collectors/rekor/index.js';\n",
};
