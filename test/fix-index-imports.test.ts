import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

// The index-only codemod (scripts/fix-index-imports.mjs) on a scratch tree: it rewrites exactly
// the deep imports whose names the surface exports as the same symbol, lists the rest, and leaves
// a tree that still compiles.

const REPO = join(import.meta.dirname, '..');
const CODEMOD = join(REPO, 'scripts', 'fix-index-imports.mjs');
const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

const FILES: Record<string, string> = {
  'package.json': '{ "type": "module" }\n',
  '.prettierrc.json': readFileSync(join(REPO, '.prettierrc.json'), 'utf8'),
  'core/index.ts': [
    "export { ConfigError } from './errors.js';",
    "export { withRetry } from './retry.js';",
    "export type { Port } from './ports/port.js';",
    "export { renamed as aliasName } from './other.js';",
    'export const x = 1;',
    '',
  ].join('\n'),
  'core/errors.ts': 'export class ConfigError extends Error {}\nexport const internalOnly = 1;\n',
  'core/retry.ts': 'export const withRetry = () => 1;\n',
  'core/ports/port.ts': 'export interface Port {\n  x: number;\n}\n',
  'core/other.ts': 'export const renamed = 1;\n',
  'core/tlog/index.ts': "export { verify } from './verify.js';\n",
  'core/tlog/verify.ts': 'export const verify = 1;\nexport const hidden = 2;\n',
  'collectors/shared/tiles/index.ts': "export { client } from './client.js';\n",
  'collectors/shared/tiles/client.ts': 'export const client = 1;\n',
  'collectors/rekor/a.ts': [
    "import { ConfigError } from '../../core/errors.js';",
    "import type { Port } from '../../core/ports/port.js';",
    "import { verify, hidden } from '../../core/tlog/verify.js';",
    "import * as errors from '../../core/errors.js';",
    "import { client } from '../shared/tiles/client.js';",
    "export { renamed } from '../../core/other.js';",
    'export const a = (p: Port) => [ConfigError, verify, hidden, errors, client, p];',
    '',
  ].join('\n'),
  'collectors/rekor/b.ts': [
    "import { x } from '../../core/index.js';",
    "import { withRetry } from '../../core/retry.js';",
    "import { ConfigError, internalOnly } from '../../core/errors.js';",
    'export const b = [x, withRetry, ConfigError, internalOnly];',
    '',
  ].join('\n'),
  'collectors/rekor/testing/index.ts': "export { fake } from './fake.js';\n",
  'collectors/rekor/testing/fake.ts': 'export const fake = 1;\n',
  'detectors/shared/findings.ts': 'export const finding = 1;\n',
  'detectors/watch/d.ts': "import { finding } from '../shared/findings.js';\nexport const d = finding;\n",
  'test/x.test.ts': "import { fake } from '../collectors/rekor/testing/fake.js';\nexport const t = fake;\n",
};

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'cw-codemod-'));
  scratch.push(root);
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}
const codemod = (root: string, ...args: string[]) => spawnSync(process.execPath, [CODEMOD, ...args, root], { encoding: 'utf8' });
const read = (root: string, p: string) => readFileSync(join(root, p), 'utf8');

function compileErrors(root: string): string[] {
  const program = ts.createProgram(
    Object.keys(FILES)
      .filter((p) => p.endsWith('.ts'))
      .map((p) => join(root, p)),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, types: [] },
  );
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('fix-index-imports codemod', () => {
  it('plans without writing by default', () => {
    const root = tree();
    const r = codemod(root);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("rewrite collectors/rekor/a.ts:1 '../../core/errors.js': `ConfigError` from ../../core/index.js");
    expect(r.stdout).toContain('would rewrite (run with --write) 7 name(s) in 3 file(s); 5 deep import(s) left to fix by hand');
    for (const p of Object.keys(FILES)) expect(read(root, p)).toBe(FILES[p]);
  });

  it('rewrites what the surfaces export, merges with existing surface imports, lists the rest', () => {
    const root = tree();
    expect(compileErrors(root)).toEqual([]);
    const r = codemod(root, '--write');
    expect(r.status).toBe(0);
    expect(read(root, 'collectors/rekor/a.ts')).toBe(
      [
        "import { ConfigError } from '../../core/index.js';",
        "import type { Port } from '../../core/index.js';",
        "import { verify } from '../../core/tlog/index.js';",
        "import { hidden } from '../../core/tlog/verify.js';",
        "import * as errors from '../../core/errors.js';",
        "import { client } from '../shared/tiles/index.js';",
        "export { renamed } from '../../core/other.js';",
        'export const a = (p: Port) => [ConfigError, verify, hidden, errors, client, p];',
        '',
      ].join('\n'),
    );
    expect(read(root, 'collectors/rekor/b.ts')).toBe(
      [
        "import { x, withRetry, ConfigError } from '../../core/index.js';",
        "import { internalOnly } from '../../core/errors.js';",
        'export const b = [x, withRetry, ConfigError, internalOnly];',
        '',
      ].join('\n'),
    );
    expect(read(root, 'test/x.test.ts')).toBe("import { fake } from '../collectors/rekor/testing/index.js';\nexport const t = fake;\n");
    expect(read(root, 'detectors/watch/d.ts')).toBe(FILES['detectors/watch/d.ts']);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('left'))).toEqual([
      "left    collectors/rekor/a.ts:3 '../../core/tlog/verify.js': core/tlog/index.ts / core/index.ts does not export `hidden`",
      "left    collectors/rekor/a.ts:4 '../../core/errors.js': namespace import",
      "left    collectors/rekor/a.ts:6 '../../core/other.js': core/index.ts / core/tlog/index.ts does not export `renamed`",
      "left    collectors/rekor/b.ts:3 '../../core/errors.js': core/index.ts / core/tlog/index.ts does not export `internalOnly`",
      "left    detectors/watch/d.ts:1 '../shared/findings.js': detectors/shared/index.ts does not exist",
    ]);
    expect(compileErrors(root)).toEqual([]);
    // Idempotent: what is left stays left, nothing more is rewritten.
    expect(codemod(root).stdout).toContain('would rewrite (run with --write) 0 name(s) in 0 file(s)');
  });
});
