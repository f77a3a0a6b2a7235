import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {} }, out, err };
}

describe('events commands reject bad numeric options with a usage error', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'cw-cli-'));

  it.each([[['--timeout', 'soon']], [['--max', 'lots', '--timeout', '1']], [['--max', '0', '--timeout', '1']], [['--timeout', '-5']]])(
    'events tail %j',
    async (extra) => {
      const t = io();
      const code = await main(['events', 'tail', 'chainwatch.system', '--data-dir', dir(), ...extra], t.io);
      expect(code).toBe(2);
      expect(t.err.join('')).toContain('chainwatch events tail:');
    },
  );

  it.each([[['--batch-size', 'big']], [['--batch-size', '0']], [['--batch-size', '2.5']]])('events publish %j', async (extra) => {
    const d = dir();
    const file = join(d, 'in.jsonl');
    writeFileSync(file, '');
    const t = io();
    const code = await main(['events', 'publish', 'system', file, '--data-dir', d, ...extra], t.io);
    expect(code).toBe(2);
  });
});
