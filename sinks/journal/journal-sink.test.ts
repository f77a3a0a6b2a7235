import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deadLetterTopic, topicFor } from '../../core/index.js';
import { findingEvent, makeFinding, testContext } from '../../core/testing/index.js';
import { createJournalSink, journalSinkConfigSchema } from './journal-sink.js';

// Lets a test make the next writeSync a short write (what a nearly full disk does).
// Or fail the next writes with an errno (what a full disk does).
const fsState = vi.hoisted(() => ({ shortNext: 0, failNext: 0, failCode: 'ENOSPC' }));
vi.mock('node:fs', async (orig) => {
  const real = await orig<typeof import('node:fs')>();
  const writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    if (fsState.failNext > 0) {
      fsState.failNext--;
      throw Object.assign(new Error(`${fsState.failCode}: write failed`), { code: fsState.failCode });
    }
    if (fsState.shortNext > 0) {
      fsState.shortNext--;
      const buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const off = typeof rest[0] === 'number' ? rest[0] : 0;
      const len = typeof rest[1] === 'number' ? rest[1] : buf.length - off;
      return real.writeSync(fd, buf, off, Math.max(1, Math.floor(len / 2)));
    }
    return (real.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof real.writeSync;
  return { ...real, writeSync, default: { ...real, writeSync } };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function journal(events: number): Promise<unknown[]> {
  const ctx = testContext(dir);
  const sink = createJournalSink(journalSinkConfigSchema.parse({ families: ['findings'] }), ctx);
  await sink.start();
  for (let i = 0; i < events; i++) await ctx.bus.publish(findingEvent(makeFinding()));
  await ctx.bus.waitCommitted('sink.journal', topicFor('findings'));
  await sink.stop();
  return readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        return 'UNPARSABLE';
      }
    });
}

describe('journal sink', () => {
  it('writes the whole line even when the OS accepts only part of it', async () => {
    fsState.shortNext = 1;
    const lines = await journal(2);
    expect(lines).not.toContain('UNPARSABLE');
    expect(lines).toHaveLength(2);
  });

  it('does not glue the first line after a restart onto a torn last line', async () => {
    writeFileSync(join(dir, 'journal.jsonl'), '{"topic":"chainwatch.findings","partition":0,"offs');
    const lines = await journal(1);
    expect(lines).toEqual(['UNPARSABLE', expect.objectContaining({ topic: topicFor('findings') })]);
  });
});

describe('journal sink on a storage fault', () => {
  it.each(['ENOSPC', 'EDQUOT', 'EIO'])('%s: pauses, reports not ready and to the storage monitor, then writes the line once and recovers', async (code) => {
    const reports: string[] = [];
    const ctx = {
      ...testContext(dir),
      storage: {
        failing: (store: string, _path: string, err: unknown) => reports.push(`failing ${store} ${(err as { code: string }).code}`),
        ok: (s: string) => reports.push(`ok ${s}`),
      },
    };
    const sink = createJournalSink(journalSinkConfigSchema.parse({ families: ['findings'] }), ctx);
    await sink.start();
    fsState.failCode = code;
    fsState.failNext = 2;
    await ctx.bus.publish(findingEvent(makeFinding()));
    // A loaded machine can stall the loop past vi.waitFor's 1 s default; the not-ready window itself
    // lasts the two paused retries (about 0.75 s), so poll often and wait long.
    await vi.waitFor(() => expect(sink.health?.()).toEqual({ ready: false, detail: expect.stringContaining(code) as string }), {
      timeout: 10_000,
      interval: 10,
    });
    await ctx.bus.waitCommitted('sink.journal', topicFor('findings'));
    expect(sink.health?.()).toEqual({ ready: true });
    expect(reports.at(-1)).toBe('ok journal');
    expect(reports).toContain(`failing journal ${code}`);
    await sink.stop();
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    expect(ctx.bus.topics.get(deadLetterTopic(topicFor('findings')))).toBeUndefined();
  });

  it('any other write error is not paused on: the bus retries the handler and dead-letters it', async () => {
    const ctx = testContext(dir);
    const sink = createJournalSink(journalSinkConfigSchema.parse({ families: ['findings'] }), ctx);
    await sink.start();
    fsState.failCode = 'EBADF';
    fsState.failNext = 10; // more than the memory bus's 3 handler attempts
    await ctx.bus.publish(findingEvent(makeFinding()));
    await ctx.bus.waitCommitted('sink.journal', topicFor('findings'));
    fsState.failNext = 0;
    expect(ctx.bus.topics.get(deadLetterTopic(topicFor('findings')))).toHaveLength(1);
    expect(sink.health?.()).toEqual({ ready: true });
    await sink.stop();
  });
});
