import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BusRecord, EventError, makeEvent, ProbeEvent, topicFor } from '../../core/index.js';
import { embeddedBusConfigSchema } from './config.js';
import { EmbeddedBus } from './embedded-bus.js';

const SYSTEM = topicFor('system');
const probe = (seq: number, subject = `s-${seq}`) => makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject, data: { seq } });

/** A handler taking `ms` per record: the seqs in the order handled, and the most records it held at once. */
function timedHandler(ms: number): { handler: (r: BusRecord) => Promise<void>; handled: number[]; most: () => number } {
  const handled: number[] = [];
  let active = 0;
  let most = 0;
  const handler = async (r: BusRecord): Promise<void> => {
    most = Math.max(most, ++active);
    await new Promise((res) => setTimeout(res, ms));
    handled.push((r.event.data as { seq: number }).seq);
    active--;
  };
  return { handler, handled, most: () => most };
}

describe('EmbeddedBus subscription robustness', () => {
  const buses: EmbeddedBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.stop()));
  });
  function open(over: Record<string, unknown> = {}): EmbeddedBus {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-ebus-')), 'bus.db');
    const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: 20, ...over }), path });
    buses.push(bus);
    return bus;
  }

  it('keeps consuming after a transient store error (e.g. SQLITE_BUSY on commit)', async () => {
    const bus = open({ partitions: 1 });
    await bus.start();
    const store = (bus as unknown as { store: { commit: { run: (...a: unknown[]) => unknown } } }).store;
    const real = store.commit;
    let failures = 0;
    store.commit = {
      run: (...a: unknown[]) => {
        if (failures++ === 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        return real.run(...a);
      },
    };
    const seen: number[] = [];
    await bus.subscribe({ group: 'g', topics: [SYSTEM], fromBeginning: true, handler: async (r) => void seen.push((r.event.data as { seq: number }).seq) });
    await bus.publish(probe(1, 'k'));
    await vi.waitFor(() => expect(seen.length >= 1, 'first event').toBe(true), { timeout: 2_000, interval: 10 });
    await bus.publish(probe(2, 'k'));
    await vi.waitFor(() => expect(seen.includes(2), 'second event after the store error').toBe(true), { timeout: 2_000, interval: 10 });
    expect(failures).toBeGreaterThan(1);
  });

  it('a member joining mid-batch never handles a partition concurrently with its previous owner', async () => {
    const bus = open({ partitions: 2, maxBatch: 50 });
    await bus.start();
    const events = Array.from({ length: 20 }, (_, i) => probe(i, `k-${i % 4}`));
    await bus.publish(events);
    // Per partition, the members with a record in flight: one member may run several keys at once,
    // two members never.
    const active = new Map<number, Map<string, number>>();
    const handledBy = new Map<number, string[]>();
    let overlap = false;
    const handler = (name: string) => async (r: BusRecord) => {
      const members = active.get(r.partition) ?? new Map<string, number>();
      active.set(r.partition, members);
      members.set(name, (members.get(name) ?? 0) + 1);
      if (members.size > 1) overlap = true;
      const seq = (r.event.data as { seq: number }).seq;
      handledBy.set(seq, [...(handledBy.get(seq) ?? []), name]);
      await new Promise((res) => setTimeout(res, 15));
      const left = members.get(name)! - 1;
      if (left === 0) members.delete(name);
      else members.set(name, left);
    };
    await bus.subscribe({ group: 'g', topics: [SYSTEM], fromBeginning: true, handler: handler('a') });
    await vi.waitFor(() => expect(handledBy.size >= 2, 'a started').toBe(true), { timeout: 2_000, interval: 10 });
    await bus.subscribe({ group: 'g', topics: [SYSTEM], fromBeginning: true, handler: handler('b') });
    await vi.waitFor(() => expect(handledBy.size >= 20, 'all events').toBe(true), { timeout: 5_000, interval: 10 });
    await new Promise((r) => setTimeout(r, 100));
    expect(overlap).toBe(false);
    const dups = [...handledBy].filter(([, by]) => by.length > 1);
    expect(dups).toEqual([]);
  });

  it('handles other keys while one key waits, keeps each key in order, and commits only the done prefix', async () => {
    const bus = open({ partitions: 1 });
    await bus.start();
    await bus.publish([probe(0, 'slow'), probe(1, 'a'), probe(2, 'b'), probe(3, 'slow'), probe(4, 'a')]);
    let open_!: () => void;
    const gate = new Promise<void>((r) => (open_ = r));
    const handled: number[] = [];
    await bus.subscribe({
      group: 'g',
      topics: [SYSTEM],
      fromBeginning: true,
      handler: async (r) => {
        const seq = (r.event.data as { seq: number }).seq;
        if (seq === 0) await gate;
        handled.push(seq);
      },
    });
    // 1, 2 and 4 finish while 0 waits; 3 (same key as 0) waits behind it.
    await vi.waitFor(() => expect([...handled].sort()).toEqual([1, 2, 4]), { timeout: 2_000, interval: 10 });
    await new Promise((r) => setTimeout(r, 100));
    expect(handled).not.toContain(3);
    expect(await bus.lag('g')).toEqual([{ topic: SYSTEM, partition: 0, lag: 5 }]); // offset 0 not done: nothing committed
    open_();
    await vi.waitFor(() => expect(handled).toHaveLength(5), { timeout: 2_000, interval: 10 });
    expect(handled.indexOf(3)).toBeGreaterThan(handled.indexOf(0));
    await vi.waitFor(async () => expect(await bus.lag('g')).toEqual([{ topic: SYSTEM, partition: 0, lag: 0 }]), { timeout: 2_000, interval: 10 });
  });

  it('after pause(), records queued behind their key do not start; resume() hands them over in order', async () => {
    const bus = open({ partitions: 1 });
    await bus.start();
    await bus.publish([probe(0, 'k'), probe(1, 'k'), probe(2, 'k')]);
    let open_!: () => void;
    const gate = new Promise<void>((r) => (open_ = r));
    let started_!: () => void;
    const started = new Promise<void>((r) => (started_ = r));
    const handled: number[] = [];
    const sub = await bus.subscribe({
      group: 'g',
      topics: [SYSTEM],
      fromBeginning: true,
      handler: async (r) => {
        const seq = (r.event.data as { seq: number }).seq;
        if (seq === 0) {
          started_();
          await gate;
        }
        handled.push(seq);
      },
    });
    await started; // 0 runs, 1 and 2 wait behind it
    sub.pause();
    open_();
    await vi.waitFor(async () => expect(await bus.lag('g')).toEqual([{ topic: SYSTEM, partition: 0, lag: 2 }]), { timeout: 2_000, interval: 10 });
    await new Promise((r) => setTimeout(r, 100));
    expect(handled).toEqual([0]);
    sub.resume();
    await vi.waitFor(() => expect(handled).toEqual([0, 1, 2]), { timeout: 2_000, interval: 10 });
  });

  it('runs at most maxInFlight records of a partition at once, refilling as they settle, and handles them all', async () => {
    const bus = open({ partitions: 1, maxInFlight: 4 });
    await bus.start();
    await bus.publish(Array.from({ length: 50 }, (_, i) => probe(i, `k-${i}`)));
    const h = timedHandler(1);
    await bus.subscribe({ group: 'g', topics: [SYSTEM], fromBeginning: true, handler: h.handler });
    await vi.waitFor(() => expect(new Set(h.handled).size).toBe(50), { timeout: 5_000, interval: 10 });
    expect(h.most()).toBe(4);
    await vi.waitFor(async () => expect(await bus.lag('g')).toEqual([{ topic: SYSTEM, partition: 0, lag: 0 }]), { timeout: 2_000, interval: 10 });
  });

  it('maxInFlight 1 handles a partition strictly in offset order, one record at a time', async () => {
    const bus = open({ partitions: 1, maxInFlight: 1 });
    await bus.start();
    await bus.publish(Array.from({ length: 12 }, (_, i) => probe(i, `k-${i % 5}`)));
    const h = timedHandler(2);
    await bus.subscribe({ group: 'g', topics: [SYSTEM], fromBeginning: true, handler: h.handler });
    await vi.waitFor(() => expect(h.handled).toHaveLength(12), { timeout: 2_000, interval: 10 });
    expect(h.handled).toEqual([...Array(12).keys()]);
    expect(h.most()).toBe(1);
  });

  it('after a failed dead-letter write, a later record of the same key waits for the redelivery', async () => {
    const bus = open({ partitions: 1, handlerRetry: { maxAttempts: 1 } });
    await bus.start();
    await bus.publish([probe(0, 'k'), probe(1, 'other'), probe(2, 'k')]);
    const real = bus.publishRaw.bind(bus);
    let dlqFailures = 0;
    let deadLettered = false;
    bus.publishRaw = async (topic, records) => {
      if (dlqFailures++ === 0) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      await real(topic, records);
      deadLettered = true;
    };
    const handled: number[] = [];
    let orderKept = true;
    await bus.subscribe({
      group: 'g',
      topics: [SYSTEM],
      fromBeginning: true,
      handler: async (r) => {
        const seq = (r.event.data as { seq: number }).seq;
        if (seq === 0) throw new Error('always fails');
        if (seq === 2 && !deadLettered) orderKept = false;
        handled.push(seq);
      },
    });
    await vi.waitFor(() => expect(handled).toContain(2), { timeout: 5_000, interval: 10 });
    expect(dlqFailures).toBeGreaterThanOrEqual(2);
    expect(orderKept).toBe(true);
    await vi.waitFor(async () => expect((await bus.lag('g')).find((l) => l.topic === SYSTEM)?.lag).toBe(0), { timeout: 2_000, interval: 10 });
  });

  it('an ephemeral reader starts at the end unless fromBeginning, reads every partition, commits nothing, and is no member of a group of its name', async () => {
    const bus = open({ partitions: 2 });
    await bus.start();
    await bus.publish(Array.from({ length: 4 }, (_, i) => probe(i)));
    const seqs = (into: Set<number>) => async (r: BusRecord) => void into.add((r.event.data as { seq: number }).seq);
    const shared = new Set<number>();
    const fromEnd = new Set<number>();
    const fromStart = new Set<number>();
    await bus.subscribe({ group: 'g', topics: [SYSTEM], fromBeginning: true, handler: seqs(shared) });
    await bus.subscribe({ group: 'g', topics: [SYSTEM], ephemeral: true, handler: seqs(fromEnd) });
    await bus.subscribe({ group: 'tail', topics: [SYSTEM], ephemeral: true, fromBeginning: true, handler: seqs(fromStart) });
    await bus.publish(Array.from({ length: 4 }, (_, i) => probe(10 + i)));
    const all = [0, 1, 2, 3, 10, 11, 12, 13];
    await vi.waitFor(() => expect([...fromStart].sort((a, b) => a - b)).toEqual(all), { timeout: 2_000, interval: 10 });
    await vi.waitFor(() => expect([...fromEnd].sort((a, b) => a - b)).toEqual([10, 11, 12, 13]), { timeout: 2_000, interval: 10 });
    await vi.waitFor(
      () =>
        expect(
          [...shared].sort((a, b) => a - b),
          'the shared member owns every partition',
        ).toEqual(all),
      {
        timeout: 2_000,
        interval: 10,
      },
    );
    expect((await bus.lag('tail')).reduce((n, l) => n + l.lag, 0)).toBe(8);
  });

  it('rejects an event larger than MAX_EVENT_BYTES at publish (as Kafka does) instead of storing one no consumer can decode', async () => {
    const bus = open({ partitions: 1 });
    await bus.start();
    const big = makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject: 'big', data: { seq: 1, payload: 'é'.repeat(600_000) } });
    const err = await bus.publish([probe(0, 'big'), big]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventError);
    expect((err as EventError).code).toBe('EVENT_TOO_LARGE');
    expect(await bus.lag('g')).toEqual([]);
  });

  it('refuses subscribe() once stop() began, so no consumer outlives the closed database', async () => {
    const bus = open({ partitions: 1 });
    await bus.start();
    const stopping = bus.stop();
    const err = await bus.subscribe({ group: 'late', topics: [SYSTEM], handler: async () => {} }).catch((e: unknown) => e);
    await stopping;
    expect((err as { code?: string }).code).toBe('BUS_STOPPED');
  });

  it('a store error on one partition does not let the next round consume another partition twice at once', async () => {
    const bus = open({ partitions: 2, maxBatch: 5 });
    await bus.start();
    const store = (bus as unknown as { store: { commit: { run: (...a: unknown[]) => unknown } } }).store;
    const real = store.commit;
    let failed = false;
    store.commit = {
      run: (...a: unknown[]) => {
        if (!failed && a[2] === 0) {
          failed = true;
          throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        }
        return real.run(...a);
      },
    };
    // Few keys: a partition consumed twice at once would run one key's records concurrently.
    await bus.publish(Array.from({ length: 30 }, (_, i) => probe(i, `k-${i % 6}`)));
    const active = new Map<string, number>();
    let overlap = false;
    const seen = new Set<number>();
    await bus.subscribe({
      group: 'g',
      topics: [SYSTEM],
      fromBeginning: true,
      handler: async (r) => {
        const n = (active.get(r.key) ?? 0) + 1;
        active.set(r.key, n);
        if (n > 1) overlap = true;
        seen.add((r.event.data as { seq: number }).seq);
        await new Promise((res) => setTimeout(res, r.partition === 1 ? 30 : 1));
        active.set(r.key, (active.get(r.key) ?? 1) - 1);
      },
    });
    await vi.waitFor(() => expect(seen.size >= 30, 'all events').toBe(true), { timeout: 10_000, interval: 10 });
    expect(failed).toBe(true);
    expect(overlap).toBe(false);
  });
});
