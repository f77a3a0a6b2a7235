import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../core/index.js';
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

describe('events publish keeps going past a line the bus refuses (issue 8 item 8)', () => {
  const probe = (seq: number, payload?: string): string =>
    JSON.stringify(makeEvent({ type: 'dev.chainwatch.system.probe.v1', source: 'urn:test', subject: 'p', data: { seq, ...(payload ? { payload } : {}) } }));
  const finding = (evidence: unknown): string =>
    JSON.stringify(
      makeEvent({
        type: 'dev.chainwatch.finding.v1',
        source: 'urn:test',
        data: {
          findingId: 'f',
          rule: 'r',
          detector: 'd',
          severity: 'low',
          category: 'security',
          dedupKey: 'k',
          summary: 's',
          subject: 'x',
          evidence,
          observedAt: new Date().toISOString(),
        },
      }),
    );
  // Valid by schema, refused by the bus: over 1 MiB once encoded (2 bytes a character) ...
  const oversized = probe(2, 'é'.repeat(900_000));
  // ... and 5,000 levels deep: JSON.parse takes it, JSON.stringify's recursion does not.
  const deep = finding({ x: 0 }).replace('"x":0', `"x":${'['.repeat(5000)}1${']'.repeat(5000)}`);

  it('publishes every valid line, names each refused one with its code, counts both, exits 1', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cw-cli-'));
    const file = join(d, 'in.jsonl');
    writeFileSync(file, [probe(1), oversized, probe(3), deep, probe(5), 'not json', probe(7)].join('\n'));
    const t = io();
    const code = await main(['events', 'publish', 'system', file, '--data-dir', d, '--json'], t.io);
    const err = t.err.join('');
    expect(err).toMatch(/line 2: EVENT_TOO_LARGE/);
    expect(err).toMatch(/line 4: EVENT_TOO_DEEP/);
    expect(err).toMatch(/line 6: EVENT_MALFORMED_JSON/);
    expect(JSON.parse(t.out.join(''))).toMatchObject({ published: 4, refused: 3, aborted: false });
    expect(code).toBe(1);
    const tail = io();
    await main(['events', 'tail', 'system', '--data-dir', d, '--from-beginning', '--max', '4', '--timeout', '5'], tail.io);
    const seqs = tail.out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { event: { data: { seq: number } } }).event.data.seq);
    expect(seqs.sort()).toEqual([1, 3, 5, 7]);
  });
});
