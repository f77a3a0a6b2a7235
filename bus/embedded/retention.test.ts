import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeEvent, ProbeEvent, topicFor } from '../../core/index.js';
import { openSqlite } from '../../core/sqlite/index.js';
import { embeddedBusConfigSchema } from './config.js';
import { EmbeddedBus } from './embedded-bus.js';
import { BUS_MIGRATIONS } from './schema.js';

const SYSTEM = topicFor('system');
const probe = (seq: number) => makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject: 'k', data: { seq } });
const FAR_FUTURE = Date.now() + 365 * 86_400_000;

/** Retention must never delete what the audit sink has not committed (issue 8 item 9). */
describe('embedded bus retention and the groups it must wait for', () => {
  const buses: EmbeddedBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.stop()));
  });
  async function open(keepUncommittedOf: string[]): Promise<{ bus: EmbeddedBus; count: () => number }> {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-retention-')), 'bus.db');
    const bus = new EmbeddedBus({
      ...embeddedBusConfigSchema.parse({ pollInterval: 20, partitions: 1, maxBatch: 1, retention: { maxAge: '1s', keepUncommittedOf } }),
      path,
    });
    buses.push(bus);
    await bus.start();
    const count = (): number => {
      const db = openSqlite(path, { durability: 'process-crash', migrations: BUS_MIGRATIONS, readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM records').pluck().get() as number;
      } finally {
        db.close();
      }
    };
    return { bus, count };
  }

  it('keeps every record while a kept group has never committed (an audit sink that cannot start)', async () => {
    const { bus, count } = await open(['chainwatch-audit']);
    await bus.publish(Array.from({ length: 10 }, (_, i) => probe(i)));
    expect(bus.applyRetention(FAR_FUTURE)).toBe(0);
    expect(count()).toBe(10);
  });

  it('deletes only what the kept group committed, and everything once it has', async () => {
    const { bus, count } = await open(['chainwatch-audit']);
    await bus.publish(Array.from({ length: 10 }, (_, i) => probe(i)));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const seen: number[] = [];
    const sub = await bus.subscribe({
      group: 'chainwatch-audit',
      topics: [SYSTEM],
      fromBeginning: true,
      handler: async (r) => {
        const seq = (r.event.data as { seq: number }).seq;
        if (seq === 6) await held; // the sink is stuck on the 7th record
        seen.push(seq);
      },
    });
    await vi.waitFor(() => expect(bus.lag('chainwatch-audit')).resolves.toEqual([{ topic: SYSTEM, partition: 0, lag: 4 }]), { timeout: 5_000, interval: 20 });
    expect(bus.applyRetention(FAR_FUTURE)).toBe(6);
    expect(count()).toBe(4);
    release();
    await vi.waitFor(() => expect(seen).toHaveLength(10), { timeout: 5_000, interval: 20 });
    await sub.stop();
    expect(bus.applyRetention(FAR_FUTURE)).toBe(4);
    expect(count()).toBe(0);
  });

  it('without kept groups it is plain Kafka-like retention', async () => {
    const { bus, count } = await open([]);
    await bus.publish(Array.from({ length: 10 }, (_, i) => probe(i)));
    expect(bus.applyRetention(FAR_FUTURE)).toBe(10);
    expect(count()).toBe(0);
  });
});
