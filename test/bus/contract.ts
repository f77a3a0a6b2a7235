/**
 * The Bus contract: every adapter (embedded SQLite, Kafka) must pass this same suite.
 * `makeEnv()` gives a fresh, isolated storage namespace (a new SQLite file, a random Kafka topic
 * prefix); `env.open()` opens a new Bus instance on it (a "process restart" is a second open()).
 * Records' `topic` is compared with endsWith() so adapters may prefix physical topic names.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Bus, type BusRecord, DLQ_HEADERS, deadLetterTopic, EventError, makeEvent, ProbeEvent, topicFor } from '../../core/index.js';

export interface BusEnv {
  open(): Promise<Bus>;
}
export interface ContractOptions {
  /** Time allowed for asynchronous delivery in waits. */
  deliveryTimeoutMs?: number;
}

const SYSTEM = topicFor('system');

export function probe(seq: number, subject = `probe-${seq % 7}`, extra: { fail?: boolean; payload?: string } = {}) {
  return makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject, data: { seq, ...extra } });
}

export function runBusContract(name: string, makeEnv: () => Promise<BusEnv>, opts: ContractOptions = {}): void {
  const timeout = opts.deliveryTimeoutMs ?? 20_000;
  describe(`Bus contract: ${name}`, () => {
    const open: Bus[] = [];
    async function openBus(env: BusEnv): Promise<Bus> {
      const bus = await env.open();
      await bus.start();
      open.push(bus);
      return bus;
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.stop()));
    });

    it('delivers every published event to a group, in order per key', async () => {
      const bus = await openBus(await makeEnv());
      const seen: BusRecord[] = [];
      await bus.subscribe({ group: `g-${randomUUID()}`, topics: [SYSTEM], handler: async (r) => void seen.push(r), fromBeginning: true });
      const events = Array.from({ length: 60 }, (_, i) => probe(i));
      await bus.publish(events.slice(0, 30));
      await bus.publish(events.slice(30));
      await vi.waitFor(() => expect(seen.length >= 60, '60 events').toBe(true), { timeout, interval: 20 });
      expect(seen.map((r) => (r.event.data as { seq: number }).seq).sort((a, b) => a - b)).toEqual(events.map((_, i) => i));
      for (const r of seen) expect(r.topic.endsWith(SYSTEM)).toBe(true);
      const bySubject = new Map<string, number[]>();
      for (const r of seen) bySubject.set(r.event.subject!, [...(bySubject.get(r.event.subject!) ?? []), (r.event.data as { seq: number }).seq]);
      for (const seqs of bySubject.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seen[0]!.key).toBe(seen[0]!.event.subject);
    });

    it('rejects invalid events at publish with a coded error and stores none of the batch', async () => {
      const bus = await openBus(await makeEnv());
      const bad = { ...probe(1), data: { seq: -1 } };
      await expect(bus.publish([probe(0), bad])).rejects.toThrowWithCode(EventError, 'EVENT_INVALID_DATA');
      await expect(bus.publish({ ...probe(2), type: 'dev.chainwatch.nope.v1' })).rejects.toThrowWithCode(EventError, 'EVENT_UNKNOWN_TYPE');
      await expect(bus.publish({ ...probe(3), specversion: '0.3' as '1.0' })).rejects.toThrowWithCode(EventError, 'EVENT_INVALID_ENVELOPE');
      const seen: BusRecord[] = [];
      await bus.subscribe({ group: `g-${randomUUID()}`, topics: [SYSTEM], handler: async (r) => void seen.push(r), fromBeginning: true });
      await bus.publish(probe(99));
      await vi.waitFor(() => expect(seen.length >= 1, 'sentinel').toBe(true), { timeout, interval: 20 });
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.map((r) => (r.event.data as { seq: number }).seq)).toEqual([99]);
    });

    it('each consumer group sees every event; committed groups resume where they stopped', async () => {
      const env = await makeEnv();
      const bus = await openBus(env);
      const a: number[] = [];
      const b: number[] = [];
      const groupA = `a-${randomUUID()}`;
      const subA = await bus.subscribe({
        group: groupA,
        topics: [SYSTEM],
        handler: async (r) => void a.push((r.event.data as { seq: number }).seq),
        fromBeginning: true,
      });
      await bus.subscribe({
        group: `b-${randomUUID()}`,
        topics: [SYSTEM],
        handler: async (r) => void b.push((r.event.data as { seq: number }).seq),
        fromBeginning: true,
      });
      await bus.publish(Array.from({ length: 20 }, (_, i) => probe(i)));
      await vi.waitFor(() => expect(a.length >= 20 && b.length >= 20, 'both groups').toBe(true), { timeout, interval: 20 });
      await subA.stop();
      await subA.stop(); // idempotent
      await bus.publish(Array.from({ length: 10 }, (_, i) => probe(20 + i)));
      // A new bus instance (a restarted process) continues group A from its committed offsets.
      const bus2 = await openBus(env);
      const a2: number[] = [];
      await bus2.subscribe({ group: groupA, topics: [SYSTEM], handler: async (r) => void a2.push((r.event.data as { seq: number }).seq), fromBeginning: true });
      await vi.waitFor(() => expect(a2.length >= 10, 'resumed group').toBe(true), { timeout, interval: 20 });
      await new Promise((r) => setTimeout(r, 300));
      expect([...a2].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    });

    it('redelivers an event whose handler did not finish (no commit before the effect)', async () => {
      const env = await makeEnv();
      const bus = await openBus(env);
      const group = `g-${randomUUID()}`;
      let release!: () => void;
      const blocked = new Promise<void>((r) => (release = r));
      const started: number[] = [];
      const sub = await bus.subscribe({
        group,
        topics: [SYSTEM],
        fromBeginning: true,
        handler: async (r) => {
          started.push((r.event.data as { seq: number }).seq);
          await blocked; // never completes before the "crash"
        },
      });
      await bus.publish(probe(1, 'same'));
      await vi.waitFor(() => expect(started.length === 1, 'handler start').toBe(true), { timeout, interval: 20 });
      // Simulate a crash: abandon this instance without letting the handler finish.
      const stopping = sub.stop();
      const bus2 = await openBus(env);
      const seen: number[] = [];
      // A different instance in the same group must get the uncommitted record again.
      release();
      await stopping;
      await bus2.subscribe({ group, topics: [SYSTEM], fromBeginning: true, handler: async (r) => void seen.push((r.event.data as { seq: number }).seq) });
      await bus.publish(probe(2, 'same'));
      await vi.waitFor(() => expect(seen.includes(2), 'second event').toBe(true), { timeout, interval: 20 });
      // Either the first instance committed seq 1 after its handler finished (then bus2 starts
      // after it) or bus2 re-receives it; in no case is an event lost.
      expect(new Set([...started, ...seen])).toEqual(new Set([1, 2]));
    });

    it('dead-letters events whose handler keeps failing, with the reason in headers, and goes on', async () => {
      const bus = await openBus(await makeEnv());
      const ok: number[] = [];
      const dlq: BusRecord[] = [];
      const group = `g-${randomUUID()}`;
      await bus.subscribe({
        group,
        topics: [SYSTEM],
        fromBeginning: true,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
        handler: async (r) => {
          const d = r.event.data as { seq: number; fail?: boolean };
          if (d.fail) throw new Error('boom');
          ok.push(d.seq);
        },
      });
      await bus.subscribe({ group: `dlq-${randomUUID()}`, topics: [deadLetterTopic(SYSTEM)], fromBeginning: true, handler: async (r) => void dlq.push(r) });
      await bus.publish([probe(1, 'k'), probe(2, 'k', { fail: true }), probe(3, 'k')]);
      await vi.waitFor(() => expect(ok.length === 2 && dlq.length === 1, 'dead letter').toBe(true), { timeout, interval: 20 });
      expect(ok).toEqual([1, 3]);
      const h = dlq[0]!.headers;
      expect(h[DLQ_HEADERS.code]).toBe('Error');
      expect(h[DLQ_HEADERS.attempts]).toBe('2');
      expect(h[DLQ_HEADERS.originalTopic]?.endsWith(SYSTEM)).toBe(true);
      expect(h[DLQ_HEADERS.group]).toBe(group);
      expect((dlq[0]!.event.data as { seq: number }).seq).toBe(2);
    });

    it('dead-letters malformed and unknown records read from the log', async () => {
      const bus = await openBus(await makeEnv());
      const ok: number[] = [];
      const codes: string[] = [];
      await bus.subscribe({
        group: `g-${randomUUID()}`,
        topics: [SYSTEM],
        fromBeginning: true,
        handler: async (r) => void ok.push((r.event.data as { seq: number }).seq),
      });
      await bus.subscribe({
        group: `d-${randomUUID()}`,
        topics: [deadLetterTopic(SYSTEM)],
        fromBeginning: true,
        raw: true,
        handler: async (r) => void codes.push(r.headers[DLQ_HEADERS.code]!),
      });
      await bus.publishRaw(SYSTEM, [
        { key: 'x', value: Buffer.from('{not json') },
        { key: 'x', value: Buffer.from(JSON.stringify({ ...probe(5), type: 'dev.chainwatch.unknown.v1' })) },
        { key: 'x', value: Buffer.from(JSON.stringify(probe(6))) },
      ]);
      await vi.waitFor(() => expect(ok.length === 1 && codes.length === 2, 'malformed dead letters').toBe(true), { timeout, interval: 20 });
      expect(ok).toEqual([6]);
      expect(codes.sort()).toEqual(['EVENT_MALFORMED_JSON', 'EVENT_UNKNOWN_TYPE']);
    });

    it('pause stops delivery and resume continues it', async () => {
      const bus = await openBus(await makeEnv());
      const seen: number[] = [];
      const sub = await bus.subscribe({
        group: `g-${randomUUID()}`,
        topics: [SYSTEM],
        fromBeginning: true,
        handler: async (r) => void seen.push((r.event.data as { seq: number }).seq),
      });
      await bus.publish(probe(1));
      await vi.waitFor(() => expect(seen.length === 1, 'first').toBe(true), { timeout, interval: 20 });
      sub.pause();
      await new Promise((r) => setTimeout(r, 200));
      await bus.publish(probe(2));
      await new Promise((r) => setTimeout(r, 1000));
      expect(seen).toEqual([1]);
      sub.resume();
      await vi.waitFor(() => expect(seen.length === 2, 'after resume').toBe(true), { timeout, interval: 20 });
    });

    it('reports consumer lag and health, and stop() is idempotent', async () => {
      const bus = await openBus(await makeEnv());
      expect(bus.health().ready).toBe(true);
      const group = `g-${randomUUID()}`;
      const seen: number[] = [];
      const sub = await bus.subscribe({
        group,
        topics: [SYSTEM],
        fromBeginning: true,
        handler: async (r) => void seen.push((r.event.data as { seq: number }).seq),
      });
      await bus.publish(Array.from({ length: 5 }, (_, i) => probe(i)));
      await vi.waitFor(() => expect(seen.length === 5, 'five').toBe(true), { timeout, interval: 20 });
      await sub.stop();
      await bus.publish(Array.from({ length: 3 }, (_, i) => probe(10 + i)));
      let total = 0;
      const deadline = Date.now() + timeout;
      while (Date.now() < deadline) {
        total = (await bus.lag(group)).filter((l) => l.topic.endsWith(SYSTEM)).reduce((s, l) => s + l.lag, 0);
        if (total === 3) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(total).toBe(3);
      await bus.stop();
      await bus.stop();
      expect(bus.health().ready).toBe(false);
    });
  });
}
