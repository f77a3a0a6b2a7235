import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertPipelineError } from './errors.js';
import { deadLettersCommand, replayDeadLetters } from './dead-letters.js';
import { openAlertDb } from './store.js';

let dir: string;
const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out: (l: string) => out.push(l), err: (l: string) => err.push(l), lines: { out, err } };
};

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
    const t = io();
    expect(await deadLettersCommand(['list', '--sink', 'email', '--data-dir', dir], t)).toBe(0);
    expect(t.lines.out).toHaveLength(1);
    expect(t.lines.out[0]!.split('\t').slice(0, 2)).toEqual(['cw-b', 'email']);
  });

  it('replays by id into the outbox with a fresh attempt budget', async () => {
    expect(await deadLettersCommand(['replay', 'cw-a', '--data-dir', dir], io())).toBe(0);
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
    expect(await deadLettersCommand(['replay', 'cw-nope', '--data-dir', dir], io())).toBe(1);
    expect(await deadLettersCommand(['replay', '--data-dir', dir], io())).toBe(2);
    expect(await deadLettersCommand(['list'], io())).toBe(2);
    expect(await deadLettersCommand(['frobnicate', '--data-dir', dir], io())).toBe(2);
    expect(await deadLettersCommand(['list', '--data-dir', join(dir, 'missing')], io())).toBe(1);
  });
});
