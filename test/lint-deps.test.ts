import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDependencies } from '../scripts/lint-deps/run.mjs';
import { BASE, lint, show, tree } from './helpers/lint-tree.js';

// The dependency lint (scripts/lint-deps.mjs) on scratch trees: every rule is planted and must be
// reported exactly (severity, rule, file, target), and the allowed patterns must pass. In-process
// for speed; the command line (exit codes, the strict switch) is spawned at the end. The holes a
// review found later are planted in test/lint-deps-holes.test.ts.

const LINT = join(import.meta.dirname, '..', 'scripts', 'lint-deps.mjs');

describe('dependency lint: allowed patterns', () => {
  it('passes a tree using every allowed pattern', async () => {
    expect(
      await lint({
        'core/a.ts': "import { x } from './index.js';\nimport { verify } from './tlog/verify.js';\nexport const a = [x, verify];\n",
        'trust/index.ts': "import { x } from '../core/index.js';\nexport const t = x;\n",
        'keys/index.ts': "import type { T } from '../core/index.js';\nexport type K = T;\n",
        'rules/identity/index.ts': "import { x } from '../../core/index.js';\nexport const rule = x;\n",
        'rules/identity/testing/index.ts': 'export const ruleTwin = 1;\n',
        'stores/sqlite/index.ts': "import type { T } from '../../core/index.js';\nexport type S = T;\n",
        'bus/shared/index.ts': 'export const sh = 1;\n',
        'bus/embedded/index.ts': "import { sh } from '../shared/index.js';\nimport { x } from '../../core/index.js';\nexport const e = [sh, x];\n",
        'bus/kafka/index.ts': "import { sh } from '../shared/index.js';\nexport const load = () => import('./kafka-bus.js');\nexport const s = sh;\n",
        'bus/kafka/errors.test.ts': "import { Kafka } from 'kafkajs';\nimport { twin } from '../../core/testing/index.js';\nexport const u = [Kafka, twin];\n",
        'collectors/shared/index.ts': 'export const cs = 1;\n',
        'collectors/shared/tiles/index.ts': "export { client } from './client.js';\n",
        'collectors/shared/tiles/client.ts': "import { cs } from '../index.js';\nexport const client = cs;\n",
        'collectors/rekor/index.ts': [
          "import { x, verify } from '../../core/index.js';",
          "import { verify as v2 } from '../../core/tlog/index.js';",
          "import { t } from '../../trust/index.js';",
          "import { rule } from '../../rules/identity/index.js';",
          "import { cs } from '../shared/index.js';",
          "import { client } from '../shared/tiles/index.js';",
          "import { run } from './collector.js';",
          'export const c = [x, verify, v2, t, rule, cs, client, run];',
          '',
        ].join('\n'),
        'collectors/rekor/collector.ts': "import type { T } from '../../core/index.js';\nexport const run = (n: T) => n;\n",
        'collectors/rekor/testing/index.ts':
          "import { twin } from '../../../core/testing/index.js';\nimport { rule } from '../../../rules/identity/index.js';\nexport const fake = [twin, rule];\n",
        'collectors/rekor/collector.test.ts': [
          "import { vi } from 'vitest';",
          "import { twin } from '../../core/testing/index.js';",
          "import { fake } from './testing/index.js';",
          "import { run } from './collector.js';",
          "vi.mock('./collector.js');",
          'export const u = [twin, fake, run];',
          '',
        ].join('\n'),
        'detectors/shared/index.ts': 'export const ds = 1;\n',
        'detectors/watch/index.ts': "import { ds } from '../shared/index.js';\nimport { t } from '../../trust/index.js';\nexport const d = [ds, t];\n",
        'detectors/watch/testing/index.ts':
          "import { twin } from '../../../core/testing/index.js';\nimport { x } from '../../../core/index.js';\nexport const dt = [twin, x];\n",
        'detectors/watch/detector.test.ts':
          "import { twin } from '../../core/testing/index.js';\nimport { dt } from './testing/index.js';\nimport { d } from './index.js';\nexport const u = [twin, dt, d];\n",
        'sinks/shared/index.ts': 'export const ss = 1;\n',
        'sinks/audit/index.ts': "export { store } from './search/store.js';\n",
        'sinks/audit/search/store.ts': "import { ss } from '../../shared/index.js';\nexport const store = ss;\n",
        'daemon/main.ts': [
          "import { c } from '../collectors/rekor/index.js';",
          "import { d } from '../detectors/watch/index.js';",
          "import { store } from '../sinks/audit/index.js';",
          "import { cli } from './cli/main.js';",
          "export const kafka = async () => (await import('../bus/kafka/index.js')).load();",
          'export const m = [c, d, store, cli];',
          '',
        ].join('\n'),
        'daemon/cli/main.ts': 'export const cli = 1;\n',
        'daemon/main.test.ts': "import { twin } from '../core/testing/index.js';\nimport { m } from './main.js';\nexport const u = [twin, m];\n",
        'test/e2e.test.ts': [
          "import { Kafka } from 'kafkajs';",
          "import { m } from '../daemon/main.js';",
          "import { cli } from '../daemon/cli/main.js';",
          "import { signer } from './helpers/z.js';",
          "import { fake } from '../collectors/rekor/testing/index.js';",
          'export const u = [Kafka, m, cli, signer, fake];',
          '',
        ].join('\n'),
        'bench/b.bench.ts': "import { Kafka } from 'kafkajs';\nimport { m } from '../daemon/main.js';\nexport const u = [Kafka, m];\n",
        'scripts/tool.mjs': "import { m } from '../daemon/main.js';\nexport const u = m;\n",
        'bin/chainwatch.js': "const { main } = await import('../dist/daemon/cli/main.js');\nawait main();\n",
        'eslint.config.js': 'export default [];\n',
        'deploy/Dockerfile': 'FROM node:24\n',
        'config/chainwatch.yaml': 'bus: embedded\n',
        'docs/architecture.md': '# Architecture\n',
        'examples/notes.md': 'a folder without code is not a code folder\n',
      }),
    ).toEqual([]);
  });
});

describe('dependency lint: the six evasions the regex lint missed', () => {
  it('rejects a template-literal import(), in daemon/ too (no file there is on the allowlist)', async () => {
    const load = 'export const load = (name: string) => import(`./${name}.js`);\n';
    expect(await lint({ 'collectors/rekor/load.ts': load, 'daemon/plugins.ts': load })).toEqual([
      'error no-escape-hatch: collectors/rekor/load.ts:1 -> import(`./${name}.js`)',
      'error no-escape-hatch: daemon/plugins.ts:1 -> import(`./${name}.js`)',
    ]);
  });

  it('rejects a computed import()', async () => {
    expect(await lint({ 'collectors/rekor/s.ts': "const path = '../../bus/kafka/index.js';\nexport const k = await import(path);\n" })).toEqual([
      'error no-escape-hatch: collectors/rekor/s.ts:2 -> import(path)',
    ]);
  });

  it('rejects createRequire and the require() it makes', async () => {
    expect(
      await lint({
        'collectors/rekor/r.ts':
          "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const k = require('kafkajs');\n",
      }),
    ).toEqual([
      'error kafka-client-only-in-bus-kafka: collectors/rekor/r.ts -> kafkajs',
      "error no-escape-hatch: collectors/rekor/r.ts:1 -> import { createRequire } from 'node:module';",
      'error no-escape-hatch: collectors/rekor/r.ts:2 -> createRequire',
      "error no-escape-hatch: collectors/rekor/r.ts:3 -> require('kafkajs')",
    ]);
  });

  it('rejects a new top-level folder holding code, and the import into it', async () => {
    expect(
      await lint({
        'plugins/p.ts': "import { x } from '../core/index.js';\nexport const p = x;\n",
        'daemon/main.ts': "import { p } from '../plugins/p.js';\nexport const m = p;\n",
      }),
    ).toEqual(['error folder-direction: daemon/main.ts -> plugins/p.ts', 'error unknown-top-level-folder: plugins/ -> plugins/p.ts']);
  });

  it('rejects a symlinked top-level folder holding code', async () => {
    const elsewhere = tree({ 'p.ts': 'export const p = 1;\n' });
    const root = tree(BASE);
    symlinkSync(elsewhere, join(root, 'vendor'));
    expect((await lintDependencies(root)).violations.map(show)).toEqual(['error unknown-top-level-folder: vendor/ -> vendor/p.ts']);
  });

  it('rejects bus/embedded importing bus/kafka: static, type-only or lazy', async () => {
    expect(
      await lint({
        'bus/embedded/a.ts': "import { load } from '../kafka/index.js';\nexport const a = load;\n",
        'bus/embedded/b.ts': "import type { k } from '../kafka/kafka-bus.js';\nexport type B = typeof k;\n",
        'bus/embedded/c.ts': "export const c = () => import('../kafka/index.js');\n",
      }),
    ).toEqual([
      'error index-only: bus/embedded/b.ts -> bus/kafka/kafka-bus.ts',
      'error siblings-isolated: bus/embedded/a.ts -> bus/kafka/index.ts',
      'error siblings-isolated: bus/embedded/b.ts -> bus/kafka/kafka-bus.ts',
      'error siblings-isolated: bus/embedded/c.ts -> bus/kafka/index.ts',
    ]);
  });

  it('rejects laundering through a test helper, naming what is reached and through what', async () => {
    expect(await lint({ 'detectors/watch/y.test.ts': "import { signer } from '../../test/helpers/z.js';\nexport const u = signer;\n" })).toEqual([
      'error no-laundering: detectors/watch/y.test.ts -> collectors/rekor/index.ts via test/helpers/z.ts',
      'error tests-follow-their-folder: detectors/watch/y.test.ts -> test/helpers/z.ts',
    ]);
  });
});

describe('dependency lint: the other rules', () => {
  it('rejects laundering through its own testing/ folder and a chain of helpers, down to a Kafka client', async () => {
    expect(
      await lint({
        'detectors/watch/testing/index.ts': "import { h } from '../../../test/helpers/h.js';\nexport const t = h;\n",
        'detectors/watch/w.test.ts': "import { t } from './testing/index.js';\nexport const u = t;\n",
        'test/helpers/h.ts': "import { s } from '../standins/s.js';\nexport const h = s;\n",
        'test/standins/s.ts': "import { Kafka } from 'kafkajs';\nexport const s = Kafka;\n",
      }),
    ).toEqual([
      'error no-laundering: detectors/watch/testing/index.ts -> kafkajs via test/helpers/h.ts -> test/standins/s.ts',
      'error no-laundering: detectors/watch/testing/index.ts -> test/standins/s.ts via test/helpers/h.ts',
      'error no-laundering: detectors/watch/w.test.ts -> kafkajs via detectors/watch/testing/index.ts -> test/helpers/h.ts -> test/standins/s.ts',
      'error no-laundering: detectors/watch/w.test.ts -> test/helpers/h.ts via detectors/watch/testing/index.ts',
      'error no-laundering: detectors/watch/w.test.ts -> test/standins/s.ts via detectors/watch/testing/index.ts -> test/helpers/h.ts',
      'error tests-follow-their-folder: detectors/watch/testing/index.ts -> test/helpers/h.ts',
    ]);
  });

  it('rejects each forbidden direction, unit tests and vitest loaders included', async () => {
    expect(
      await lint({
        'core/a.ts': "import { s } from '../sinks/slack/index.js';\nexport const a = s;\n",
        'core/b.ts': "import { h } from '../.hidden/h.js';\nexport const b = h;\n",
        '.hidden/h.ts': 'export const h = 1;\n',
        'sinks/slack/index.ts': 'export const s = 1;\n',
        'sinks/webhook/index.ts': "import { d } from '../../daemon/x.js';\nexport const w = d;\n",
        'daemon/x.ts': 'export const d = 1;\n',
        'collectors/rekor/d.ts': "import { c } from '../../detectors/watch/index.js';\nexport const u = c;\n",
        'detectors/watch/index.ts': 'export const c = 1;\n',
        'rules/identity/c.test.ts': "import { t } from '../../trust/index.js';\nexport const u = t;\n",
        'trust/index.ts': 'export const t = 1;\n',
        'detectors/watch/m.test.ts': "import { vi } from 'vitest';\nexport const u = await vi.importActual('../../collectors/rekor/index.js');\n",
        'bin/chainwatch.js': "import { x } from '../core/index.js';\nexport const b = x;\n",
      }),
    ).toEqual([
      'error bin-loads-dist-only: bin/chainwatch.js -> core/index.ts',
      'error folder-direction: collectors/rekor/d.ts -> detectors/watch/index.ts',
      'error folder-direction: core/a.ts -> sinks/slack/index.ts',
      'error folder-direction: core/b.ts -> .hidden/h.ts',
      'error folder-direction: detectors/watch/m.test.ts -> collectors/rekor/index.ts',
      'error folder-direction: rules/identity/c.test.ts -> trust/index.ts',
      'error nothing-imports-daemon: sinks/webhook/index.ts -> daemon/x.ts',
    ]);
  });

  it('rejects siblings in sinks/ and a shared/ that imports a sibling', async () => {
    expect(
      await lint({
        'sinks/slack/index.ts': "import { w } from '../webhook/index.js';\nexport const s = w;\n",
        'sinks/webhook/index.ts': 'export const w = 1;\n',
        'sinks/shared/index.ts': "import { s } from '../slack/index.js';\nexport const sh = s;\n",
      }),
    ).toEqual([
      'error siblings-isolated: sinks/shared/index.ts -> sinks/slack/index.ts',
      'error siblings-isolated: sinks/slack/index.ts -> sinks/webhook/index.ts',
    ]);
  });

  it('rejects a Kafka client, or a sub-path of one, outside bus/kafka', async () => {
    expect(
      await lint({
        'collectors/rekor/k.ts': "import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n",
        'sinks/alerts/k.ts': "import type { Producer } from '@platformatic/kafka/producer';\nexport type P = Producer;\n",
      }),
    ).toEqual([
      'error kafka-client-only-in-bus-kafka: collectors/rekor/k.ts -> kafkajs',
      'error kafka-client-only-in-bus-kafka: sinks/alerts/k.ts -> @platformatic/kafka/producer',
    ]);
  });

  it('lists deep imports across modules (type-only ones too) as errors', async () => {
    expect(
      await lint({
        'collectors/rekor/v.ts': "import type { Proof } from '../../core/tlog/verify.js';\nexport type V = Proof;\n",
        'collectors/shared/tiles/index.ts': "export { client } from './client.js';\n",
        'collectors/shared/tiles/client.ts': 'export const client = 1;\n',
        'collectors/rekor/t.ts': "import { client } from '../shared/tiles/client.js';\nexport const t = client;\n",
        'detectors/shared/findings.ts': 'export const f = 1;\n',
        'detectors/watch/d.ts': "import { f } from '../shared/findings.js';\nexport const d = f;\n",
        'daemon/main.ts': "import { verify } from '../core/tlog/verify.js';\nexport const m = verify;\n",
      }),
    ).toEqual([
      'error index-only: collectors/rekor/t.ts -> collectors/shared/tiles/client.ts',
      'error index-only: collectors/rekor/v.ts -> core/tlog/verify.ts',
      'error index-only: daemon/main.ts -> core/tlog/verify.ts',
      'error index-only: detectors/watch/d.ts -> detectors/shared/findings.ts',
    ]);
  });

  it('rejects test code in production, and test code reaching beyond its folder', async () => {
    expect(
      await lint({
        'daemon/wire.ts': "import { twin } from '../core/testing/index.js';\nexport const w = twin;\n",
        'sinks/alerts/p.ts': "import { fake } from './testing/fake.js';\nexport const p = fake;\n",
        'sinks/alerts/testing/fake.ts': 'export const fake = 1;\n',
        'trust/t.ts': "import { signer } from '../test/helpers/z.js';\nexport const t = signer;\n",
        'rules/identity/testing/index.ts': 'export const r = 1;\n',
        'detectors/watch/a.test.ts': "import { r } from '../../rules/identity/testing/index.js';\nexport const u = r;\n",
      }),
    ).toEqual([
      'error no-test-code-in-production: daemon/wire.ts -> core/testing/index.ts',
      'error no-test-code-in-production: sinks/alerts/p.ts -> sinks/alerts/testing/fake.ts',
      'error no-test-code-in-production: trust/t.ts -> test/helpers/z.ts',
      'error tests-follow-their-folder: detectors/watch/a.test.ts -> rules/identity/testing/index.ts',
    ]);
  });
});

describe('dependency lint: command line', () => {
  const run = (root: string) => spawnSync(process.execPath, [LINT, root], { encoding: 'utf8' });
  const deepImport = () => tree({ ...BASE, 'daemon/main.ts': "import { verify } from '../core/tlog/verify.js';\nexport const m = verify;\n" });

  it('fails on an error, naming file, rule and target on stderr', () => {
    const r = run(tree({ ...BASE, 'bus/embedded/e.ts': "import { load } from '../kafka/index.js';\nexport const e = load;\n" }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "error siblings-isolated: bus/embedded/e.ts -> bus/kafka/index.ts (sub-folders of bus/, collectors/, detectors/, sinks/ import each other only through their folder's shared/)",
    );
    expect(r.stderr).toContain('dependency lint: 1 error(s), 0 warning(s)');
  });

  it('fails on a deep import across modules, naming the surface to use instead', () => {
    const r = run(deepImport());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error index-only: daemon/main.ts -> core/tlog/verify.ts (import core/tlog/index.ts instead');
  });

  it('passes a clean tree', () => {
    const r = run(tree(BASE));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^dependency lint: 0 error\(s\), 0 warning\(s\); \d+ files, [\d.]+ s\n$/);
    expect(r.status).toBe(0);
  });
});
