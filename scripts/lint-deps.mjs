#!/usr/bin/env node
// The dependency lint (npm run lint): dependency-cruiser checks the import graph against the
// architecture (.dependency-cruiser.mjs, generated from scripts/lint-deps/architecture.mjs); the
// TypeScript compiler API finds what a graph cannot show (scripts/lint-deps/). docs/architecture.md
// describes the rules.
//
//   node scripts/lint-deps.mjs [root]      lint root (default: this repository)
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatViolation, lintDependencies } from './lint-deps/run.mjs';

const started = performance.now();
const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
const { violations, files } = await lintDependencies(root);
const errors = violations.filter((v) => v.severity === 'error');
const warnings = violations.filter((v) => v.severity !== 'error');
for (const v of warnings) console.log(formatViolation(v));
for (const v of errors) console.error(formatViolation(v));
const took = `${files} files, ${((performance.now() - started) / 1000).toFixed(1)} s`;
const summary = `dependency lint: ${errors.length} error(s), ${warnings.length} warning(s); ${took}`;
if (errors.length > 0) {
  console.error(summary);
  process.exit(1);
}
console.log(summary);
