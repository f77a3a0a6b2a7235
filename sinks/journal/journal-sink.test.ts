import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { topicFor } from '../../core/index.js';
import { findingEvent, makeFinding, testContext } from '../../core/testing/index.js';
import { createJournalSink, journalSinkConfigSchema } from './journal-sink.js';

// Lets a test make the next writeSync a short write (what a nearly full disk does).
const fsState = vi.hoisted(() => ({ shortNext: 0 }));
vi.mock('node:fs', async (orig) => {
  const real = await orig<typeof import('node:fs')>();
  const writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => {
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
