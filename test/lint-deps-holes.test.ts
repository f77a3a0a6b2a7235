import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDependencies } from '../scripts/lint-deps/run.mjs';
import { BASE, lint, show, tree } from './helpers/lint-tree.js';

// Holes a reviewer found in the dependency lint after the re-layout (issue 7), and every kind of
// escape hatch: each is planted in a scratch tree and must be named. The other rules are in
// test/lint-deps.test.ts.

describe('dependency lint: code files at the repository root', () => {
  it('rejects a root-level code file, and production code importing it or a known config file', async () => {
    expect(
      await lint({
        'launder.ts': "import { x } from './core/index.js';\nexport const l = x;\n",
        'sinks/slack/index.ts': "import { l } from '../../launder.js';\nexport const s = l;\n",
        'core/c.ts': "import config from '../vitest.config.js';\nexport const c = config;\n",
        'vitest.config.ts': 'export default {};\n',
        'eslint.config.js': 'export default [];\n',
        '.dependency-cruiser.mjs': 'export default {};\n',
        'prettier.config.mjs': 'export default {};\n',
      }),
    ).toEqual([
      'error folder-direction: core/c.ts -> vitest.config.ts',
      'error folder-direction: sinks/slack/index.ts -> launder.ts',
      'error unknown-root-file: launder.ts -> ./',
    ]);
  });

  it('rejects a symlinked root-level code file', async () => {
    const elsewhere = tree({ 'p.ts': 'export const p = 1;\n' });
    const root = tree(BASE);
    symlinkSync(join(elsewhere, 'p.ts'), join(root, 'p.ts'));
    expect((await lintDependencies(root)).violations.map(show)).toEqual(['error unknown-root-file: p.ts -> ./']);
  });
});

describe('dependency lint: loose files directly in a module folder', () => {
  it('rejects a file directly in a module folder, and siblings meeting through it', async () => {
    expect(
      await lint({
        'sinks/launder.ts': "import { w } from './webhook/index.js';\nexport const l = w;\n",
        'sinks/slack/index.ts': "import { l } from '../launder.js';\nexport const s = l;\n",
        'sinks/webhook/index.ts': "import { l } from '../launder.js';\nexport const w = l;\n",
        'rules/helpers.ts': 'export const h = 1;\n',
        'collectors/index.ts': "export { c } from './rekor/index.js';\n",
      }),
    ).toEqual([
      'error no-loose-module-file: collectors/index.ts -> collectors/',
      'error no-loose-module-file: rules/helpers.ts -> rules/',
      'error no-loose-module-file: sinks/launder.ts -> sinks/',
      'error siblings-isolated: sinks/slack/index.ts -> sinks/launder.ts',
      'error siblings-isolated: sinks/webhook/index.ts -> sinks/launder.ts',
    ]);
  });
});

describe('dependency lint: dynamic code escapes', () => {
  it('rejects code in deploy/ and the other escape hatches (eval, Function, getBuiltinModule, import = require)', async () => {
    expect(
      await lint({
        'deploy/hook.js': 'export const h = 1;\n',
        'stores/sqlite/e.ts': [
          'export const a = eval(\'import("x")\');',
          "export const b = new Function('s', 'return import(s)');",
          "export const c = process.getBuiltinModule('node:module');",
          "import fs = require('node:fs');",
          'export const d = fs;',
          '',
        ].join('\n'),
      }),
    ).toEqual([
      'error no-code-folder: deploy/hook.js -> deploy/',
      'error no-escape-hatch: stores/sqlite/e.ts:1 -> eval(\'import("x")\')',
      "error no-escape-hatch: stores/sqlite/e.ts:2 -> new Function('s', 'return import(s)')",
      "error no-escape-hatch: stores/sqlite/e.ts:3 -> process.getBuiltinModule('node:module')",
      "error no-escape-hatch: stores/sqlite/e.ts:4 -> import fs = require('node:fs');",
    ]);
  });

  it('rejects indirect eval, eval and Function reached through globalThis or a prototype', async () => {
    expect(
      await lint({
        'stores/sqlite/e.ts': [
          "export const a = (0, eval)('1');",
          "export const b = globalThis.eval('1');",
          "export const c = globalThis['eval']('1');",
          "export const d = new globalThis.Function('return 1');",
          "export const e = Function.prototype.constructor('return 1');",
          "export const f = (async () => {}).constructor('return 1');",
          "export const g = globalThis['Function'];",
          'export const AF = Object.getPrototypeOf(async function () {}).constructor;',
          '',
        ].join('\n'),
        'stores/sqlite/m.cjs': "module.exports = module.require('./x.js');\n",
      }),
    ).toEqual([
      'error no-escape-hatch: stores/sqlite/e.ts:1 -> eval',
      'error no-escape-hatch: stores/sqlite/e.ts:2 -> globalThis.eval',
      "error no-escape-hatch: stores/sqlite/e.ts:3 -> globalThis['eval']",
      'error no-escape-hatch: stores/sqlite/e.ts:4 -> globalThis.Function',
      "error no-escape-hatch: stores/sqlite/e.ts:5 -> Function.prototype.constructor('return 1')",
      "error no-escape-hatch: stores/sqlite/e.ts:6 -> (async () => {}).constructor('return 1')",
      "error no-escape-hatch: stores/sqlite/e.ts:7 -> globalThis['Function']",
      'error no-escape-hatch: stores/sqlite/e.ts:8 -> Object.getPrototypeOf(async function () {}).constructor',
      "error no-escape-hatch: stores/sqlite/m.cjs:1 -> module.require('./x.js')",
    ]);
  });

  it('rejects node:vm however it is loaded, outside the justified exception', async () => {
    expect(
      await lint({
        'sinks/slack/vm.ts': [
          "import { runInThisContext } from 'node:vm';",
          "import * as vm from 'vm';",
          "export const v = [runInThisContext, vm, await import('node:vm'), process.getBuiltinModule('vm')];",
          '',
        ].join('\n'),
        // The one exception (scripts/lint-deps/architecture.mjs): a unit test reaching V8's gc(); for
        // node:vm only, not for eval.
        'collectors/rekor/collector.test.ts':
          "import { runInNewContext } from 'node:vm';\nexport const gc = runInNewContext('gc');\nexport const e = eval('1');\n",
        'collectors/rekor/other.test.ts': "import { runInNewContext } from 'node:vm';\nexport const gc = runInNewContext('gc');\n",
      }),
    ).toEqual([
      "error no-escape-hatch: collectors/rekor/collector.test.ts:3 -> eval('1')",
      "error no-escape-hatch: collectors/rekor/other.test.ts:1 -> import { runInNewContext } from 'node:vm';",
      "error no-escape-hatch: sinks/slack/vm.ts:1 -> import { runInThisContext } from 'node:vm';",
      "error no-escape-hatch: sinks/slack/vm.ts:2 -> import * as vm from 'vm';",
      "error no-escape-hatch: sinks/slack/vm.ts:3 -> import('node:vm')",
    ]);
  });

  it('rejects worker threads, cluster and child_process.fork, which load code by path', async () => {
    expect(
      await lint({
        'sinks/slack/w.ts': [
          "import { Worker as W } from 'node:worker_threads';",
          "import * as threads from 'worker_threads';",
          "export const a = new W(new URL('./x.ts', import.meta.url));",
          "export const b = new threads.Worker('./x.js');",
          '',
        ].join('\n'),
        'daemon/f.ts': [
          "import { fork } from 'node:child_process';",
          "import * as cp from 'child_process';",
          "import cluster from 'node:cluster';",
          "export const a = [cp.fork('./x.js'), cluster];",
          'export const b = fork;',
          "export const c = (log: { fork: (x: string) => string }) => log.fork('a log fork is not a process');",
          "export * from 'node:worker_threads';",
          "export const d = (await import('node:child_process')).spawn;",
          '',
        ].join('\n'),
      }),
    ).toEqual([
      "error no-escape-hatch: daemon/f.ts:1 -> import { fork } from 'node:child_process';",
      "error no-escape-hatch: daemon/f.ts:3 -> import cluster from 'node:cluster';",
      'error no-escape-hatch: daemon/f.ts:4 -> cp.fork',
      "error no-escape-hatch: daemon/f.ts:7 -> export * from 'node:worker_threads';",
      "error no-escape-hatch: daemon/f.ts:8 -> import('node:child_process')",
      "error no-escape-hatch: sinks/slack/w.ts:1 -> import { Worker as W } from 'node:worker_threads';",
      'error no-escape-hatch: sinks/slack/w.ts:4 -> threads.Worker',
    ]);
  });
});

describe('dependency lint: path aliases and unresolvable imports', () => {
  it('rejects a tsconfig paths alias (an inherited one too), a baseUrl, and every import it cannot resolve', async () => {
    expect(
      await lint({
        'tsconfig.json': '{\n  // an alias\n  "compilerOptions": { "baseUrl": ".", "paths": { "@core/*": ["core/*"] } }\n}\n',
        'tsconfig.build.json': '{ "extends": "./config/tsconfig.base" }\n',
        'config/tsconfig.base.json': '{ "compilerOptions": { "paths": { "#x/*": ["core/*"] } } }\n',
        'collectors/rekor/typo.ts': "import { x } from '../../core/indx.js';\nexport const t = x;\n",
        'collectors/rekor/alias.ts': "import { x } from '@core/index.js';\nexport const a = x;\n",
        'collectors/rekor/base.ts': "import type { T } from 'core/index.js';\nexport type B = T;\n",
        'collectors/rekor/undeclared.ts': "import { z } from 'zod';\nexport const u = z;\n",
        'collectors/rekor/declared.ts': "import { Kafka } from 'kafkajs';\nexport const d = Kafka;\n",
        'collectors/rekor/m.test.ts': "import { vi } from 'vitest';\nvi.mock('./missing.js');\n",
      }),
    ).toEqual([
      'error kafka-client-only-in-bus-kafka: collectors/rekor/declared.ts -> kafkajs',
      'error no-path-alias: tsconfig.build.json -> compilerOptions.paths (in config/tsconfig.base.json)',
      'error no-path-alias: tsconfig.json -> compilerOptions.baseUrl',
      'error no-path-alias: tsconfig.json -> compilerOptions.paths',
      'error not-to-unresolvable: collectors/rekor/alias.ts -> @core/index.js',
      'error not-to-unresolvable: collectors/rekor/base.ts -> core/index.js',
      'error not-to-unresolvable: collectors/rekor/m.test.ts -> ./missing.js',
      'error not-to-unresolvable: collectors/rekor/typo.ts -> ../../core/indx.js',
      'error not-to-unresolvable: collectors/rekor/undeclared.ts -> zod',
    ]);
  });
});
