import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invokeCommand } from '../../core/testing/index.js';
import { deadLetterCommands } from './commands.js';
import { replayDeadLetters } from './dead-letters.js';
import { AlertPipelineError } from './errors.js';
import { openAlertDb } from './store.js';

let dir: string;
const [list, replay] = deadLetterCommands as [(typeof deadLetterCommands)[number], (typeof deadLetterCommands)[number]];
const run = (spec: typeof list, argv: string[]) => invokeCommand(spec, argv, { section: undefined, dataDir: dir });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-dl-'));
  const db = openAlertDb(join(dir, 'alerts.sqlite'));
  const ins = db.prepare(
    "INSERT INTO dead_letters (id, sink, route, dedup_key, action, payload, created_at, attempts, code, reason, dead_at) VALUES (?, ?, 'security', 'k', 'trigger', '{}', 1, 3, 'HTTP_CLIENT_ERROR', 'rejected (400)', ?)",
  );
  ins.run('cw-a', 'slack', 10);
  ins.run('cw-b', 'email', 20);
  db.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('chainwatch sinks dead-letters', () => {
  it('lists, filtered by sink', async () => {
    const r = await run(list, ['--sink', 'email', '--data-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toHaveLength(1);
    expect(r.out.split('\t').slice(0, 2)).toEqual(['cw-b', 'email']);
    const json = await run(list, ['--json']);
    expect((JSON.parse(json.out) as { id: string }[]).map((d) => d.id)).toEqual(['cw-a', 'cw-b']);
  });

  it('replays by id into the outbox with a fresh attempt budget', async () => {
    expect((await run(replay, ['cw-a'])).code).toBe(0);
    const db = openAlertDb(join(dir, 'alerts.sqlite'));
    const rows = db.prepare('SELECT id, sink, attempts, status FROM outbox').all();
    const left = db.prepare('SELECT id FROM dead_letters').all();
    db.close();
    expect(rows).toEqual([{ id: 'cw-a', sink: 'slack', attempts: 0, status: 'pending' }]);
    expect(left).toEqual([{ id: 'cw-b' }]);
  });

  it('refuses unknown ids without moving anything, and bad usage', async () => {
    expect(() => replayDeadLetters(join(dir, 'alerts.sqlite'), { ids: ['cw-a', 'cw-nope'] })).toThrow(
      expect.objectContaining({ name: AlertPipelineError.name, code: 'ALERTS_DEAD_LETTER_NOT_FOUND' }),
    );
    const unknown = await run(replay, ['cw-nope']);
    expect([unknown.code, unknown.err]).toEqual([1, expect.stringContaining('ALERTS_DEAD_LETTER_NOT_FOUND')]);
    expect((await run(replay, [])).code).toBe(2); // neither IDs nor --all
    expect((await run(replay, ['cw-a', '--all'])).code).toBe(2); // both
    expect((await run(list, ['--frobnicate'])).code).toBe(2);
    expect((await run(list, ['surplus'])).code).toBe(2);
    expect((await run(list, ['--file', '../escape.sqlite'])).code).toBe(2);
    expect((await run(list, ['--data-dir', join(dir, 'missing')])).code).toBe(1);
  });
});
