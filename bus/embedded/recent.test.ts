import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BusRecord, makeEvent, ProbeEvent, topicFor } from '../../core/index.js';
import { embeddedBusConfigSchema } from './config.js';
import { EmbeddedBus } from './embedded-bus.js';
import { RecentRecords, type StoredRow } from './recent.js';

const row = (offset: number, bytes = 10): StoredRow => ({ offset, key: `k${offset}`, headers: null, value: Buffer.alloc(bytes), ts: 1 });
const offsets = (rows: StoredRow[] | undefined): number[] | undefined => rows?.map((r) => r.offset);

describe('RecentRecords', () => {
  it('hands out consecutive rows from a held offset, and nothing it does not hold', () => {
    const r = new RecentRecords(100, 1_000_000);
    r.add('t', 0, [row(5), row(6), row(7)]);
    expect(offsets(r.take('t', 0, 6, 10))).toEqual([6, 7]);
    expect(offsets(r.take('t', 0, 5, 2))).toEqual([5, 6]);
    expect(r.take('t', 0, 4, 10)).toBeUndefined();
    expect(r.take('t', 0, 8, 10)).toBeUndefined();
    expect(r.take('t', 1, 5, 10)).toBeUndefined();
  });

  it('starts over at a gap (another writer appended in between), so it never skips an offset', () => {
    const r = new RecentRecords(100, 1_000_000);
    r.add('t', 0, [row(0), row(1)]);
    r.add('t', 0, [row(5), row(6)]);
    expect(r.take('t', 0, 1, 10)).toBeUndefined();
    expect(offsets(r.take('t', 0, 5, 10))).toEqual([5, 6]);
  });

  it('keeps within its row and byte budgets by dropping the older half', () => {
    const r = new RecentRecords(4, 1_000_000);
    r.add('t', 0, [row(0), row(1), row(2), row(3), row(4)]);
    expect(r.take('t', 0, 2, 10)).toBeUndefined();
    expect(offsets(r.take('t', 0, 3, 10))).toEqual([3, 4]);
    const b = new RecentRecords(100, 100);
    b.add('a', 0, [row(0, 40), row(1, 40)]);
    b.add('b', 0, [row(0, 40)]);
    expect(b.take('a', 0, 0, 10)).toBeUndefined();
    expect(offsets(b.take('a', 0, 1, 10))).toEqual([1]);
    expect(offsets(b.take('b', 0, 0, 10))).toEqual([0]);
  });
});

describe('EmbeddedBus hand-off to in-process consumers', () => {
  const buses: EmbeddedBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.stop()));
  });

  it('delivers exactly what the file holds, in offset order, when another writer appends in between', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-ebus-')), 'bus.db');
    const config = { ...embeddedBusConfigSchema.parse({ pollInterval: 20, partitions: 1 }), path };
    // `other` stands for `chainwatch events publish` in another process: its appends reach `bus`
    // only through the file.
    const bus = new EmbeddedBus(config);
    const other = new EmbeddedBus(config);
    buses.push(bus, other);
    await bus.start();
    await other.start();
    const seen: BusRecord[] = [];
    const topic = topicFor('system');
    const ev = (seq: number) => makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject: 'k', data: { seq } });
    const sub = await bus.subscribe({ group: 'g', topics: [topic], fromBeginning: true, handler: async (r) => void seen.push(r) });
    sub.pause();
    await bus.publish([ev(0), ev(1)], { headers: { a: '1' } });
    await other.publish([ev(2)]);
    await bus.publish([ev(3)]);
    sub.resume();
    await vi.waitFor(() => expect(seen.length).toBe(4), { timeout: 2_000, interval: 10 });
    expect(seen.map((r) => (r.event.data as { seq: number }).seq)).toEqual([0, 1, 2, 3]);
    expect(seen.map((r) => r.offset)).toEqual(['0', '1', '2', '3']);
    expect(seen[0]!.headers).toEqual({ a: '1' });
    expect(seen[2]!.headers).toEqual({});
    // A fresh reader of the file (no hand-off) sees the same records.
    const fromFile: BusRecord[] = [];
    const reader = new EmbeddedBus(config);
    buses.push(reader);
    await reader.start();
    await reader.subscribe({ group: 'g2', topics: [topic], fromBeginning: true, handler: async (r) => void fromFile.push(r) });
    await vi.waitFor(() => expect(fromFile.length).toBe(4), { timeout: 2_000, interval: 10 });
    expect(fromFile).toEqual(seen);
  });
  it('hands out nothing retention deleted: a consumer behind it goes on where the file goes on', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-ebus-')), 'bus.db');
    const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: 20, partitions: 1, retention: { maxRecordsPerPartition: 2 } }), path });
    buses.push(bus);
    await bus.start();
    const topic = topicFor('system');
    const ev = (seq: number) => makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject: 'k', data: { seq } });
    const seen: number[] = [];
    const sub = await bus.subscribe({
      group: 'g',
      topics: [topic],
      fromBeginning: true,
      handler: async (r) => void seen.push((r.event.data as { seq: number }).seq),
    });
    sub.pause();
    await bus.publish([ev(0), ev(1), ev(2), ev(3), ev(4)]);
    expect(bus.applyRetention()).toBe(3);
    sub.resume();
    await vi.waitFor(() => expect(seen).toEqual([3, 4]), { timeout: 2_000, interval: 10 });
  });
});
