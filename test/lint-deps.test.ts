import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LINT = join(import.meta.dirname, '..', 'scripts', 'lint-deps.mjs');

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cw-lint-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}
const lint = (root: string) => spawnSync(process.execPath, [LINT, root], { encoding: 'utf8' });

describe('dependency-direction lint', () => {
  it('accepts the allowed directions', () => {
    const r = lint(
      tree({
        'core/a.ts': "import { x } from './b.js';\n",
        'core/b.ts': 'export const x = 1;\n',
        'collectors/rekor/c.ts': "import { x } from '../../core/a.js';\nimport { y } from '../shared/y.js';\n",
        'collectors/shared/y.ts': 'export const y = 1;\n',
        'detectors/d/d.ts': "import { x } from '../../core/a.js';\nimport { r } from '../../rules/r.js';\n",
        'rules/r.ts': 'export const r = 1;\n',
        'daemon/main.ts': "import { x } from '../collectors/rekor/c.js';\n",
        'bus/kafka/k.ts': "import { Kafka } from 'kafkajs';\n",
      }),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('rejects each forbidden direction', () => {
    const r = lint(
      tree({
        'core/a.ts': "import { s } from '../sinks/slack/s.js';\n",
        'sinks/slack/s.ts': "export { w } from '../webhook/w.js';\n",
        'sinks/webhook/w.ts': "import { d } from '../../daemon/x.js';\nexport const w = 1;\n",
        'collectors/rekor/c.ts': "import { Kafka } from 'kafkajs';\nimport { d } from '../../detectors/x/d.js';\n",
        'daemon/x.ts': 'export const d = 1;\n',
      }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('core/a.ts: core/ may not import sinks/');
    expect(r.stderr).toContain('sinks/slack/s.ts: sinks/slack imports sinks/webhook');
    expect(r.stderr).toContain('sinks/webhook/w.ts: imports daemon/');
    expect(r.stderr).toContain("collectors/rekor/c.ts: imports Kafka client 'kafkajs'");
    expect(r.stderr).toContain('collectors/rekor/c.ts: collectors/ may not import detectors/');
  });
});
