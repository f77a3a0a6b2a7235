import { afterAll, describe, expect, it, vi } from 'vitest';
import { BusError, type BusRecord, DLQ_HEADERS, topicFor } from '../../core/index.js';
import { killBroker, kafkaSvc, makeKafkaBus, probe, seqOf, startBroker, stopAllBuses } from './kafka-support.js';

// Kafka-specific integration tests against the broker of scripts/services/kafka.sh. Every bus gets
// a random topic prefix; the broker-outage test restarts the broker and therefore runs last.
const SYSTEM = topicFor('system');

class ProbeFailure extends Error {
  override name = 'ProbeFailure';
}

describe.skipIf(kafkaSvc.skip)('KafkaBus (real Kafka)', () => {
  afterAll(stopAllBuses);

  it('rejects use before start and stops idempotently', async () => {
    const bus = makeKafkaBus();
    await expect(bus.publish(probe(1))).rejects.toThrowWithCode(BusError, 'BUS_NOT_STARTED');
    expect(bus.health().ready).toBe(false);
    await bus.start();
    expect(bus.health().ready).toBe(true);
    await bus.stop();
    await bus.stop();
    await expect(bus.publish(probe(1))).rejects.toThrowWithCode(BusError, 'BUS_STOPPED');
    expect(bus.health().ready).toBe(false);
  });

  it('publishes, consumes and commits (lag drops to zero)', async () => {
    const bus = makeKafkaBus();
    await bus.start();
    await bus.publish(Array.from({ length: 20 }, (_, i) => probe(i)));
    const seen: BusRecord[] = [];
    const sub = await bus.subscribe({ group: 'g-basic', topics: [SYSTEM], fromBeginning: true, handler: async (r) => void seen.push(r) });
    await vi.waitFor(() => expect(seen.length >= 20, '20 records').toBe(true), { timeout: 30_000 });
    expect(new Set(seen.map(seqOf)).size).toBe(20);
    expect(seen[0]!.topic).toBe(SYSTEM); // the prefix never leaks to callers
    await vi.waitFor(
      async () =>
        expect(
          (await bus.lag('g-basic')).every((l) => l.lag === 0),
          'lag 0',
        ).toBe(true),
      { timeout: 10_000 },
    );
    const lag = await bus.lag('g-basic');
    expect(lag.length).toBe(3);
    await sub.stop();
    await sub.stop();
  });

  it('keeps per-key order across publishes and partitions', async () => {
    await expectPerKeyOrder(makeKafkaBus({ partitions: 4 }), 'g-order');
  });

  it('keeps per-key order across publishes and partitions with several producers (keys bound to producers)', async () => {
    await expectPerKeyOrder(makeKafkaBus({ partitions: 4, producers: 3 }), 'g-order-producers');
  });

  it('with several producers, a publish answers only once every share settled (a failed share leaves none still sending)', async () => {
    const bus = makeKafkaBus({ producers: 2, retry: { maxAttempts: 1 } });
    await bus.start();
    type Send = (o: unknown) => Promise<unknown>;
    const pool = (bus as unknown as { producers: { all: { send: Send }[] } }).producers;
    const [slow, broken] = [pool.all[0]!, pool.all[1]!];
    const realSend = slow.send.bind(slow);
    let slowDone = false;
    slow.send = async (o) => {
      await new Promise((r) => setTimeout(r, 300));
      const res = await realSend(o);
      slowDone = true;
      return res;
    };
    broken.send = () => Promise.reject(new ProbeFailure('share refused'));
    // 20 subjects: both producers get a share.
    const err = await bus.publish(Array.from({ length: 20 }, (_, i) => probe(i, `k${i}`))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    expect(slowDone).toBe(true);
  });

  it('redelivers what a stopped consumer did not commit (at-least-once)', async () => {
    const bus = makeKafkaBus({ partitions: 1, drainTimeout: 300 });
    await bus.start();
    await bus.publish(Array.from({ length: 10 }, (_, i) => probe(i, 'one')));
    const first: number[] = [];
    const sub = await bus.subscribe({
      group: 'g-alo',
      topics: [SYSTEM],
      fromBeginning: true,
      retry: { maxAttempts: 1 },
      handler: async (r, signal) => {
        if (seqOf(r) >= 5) {
          // Never finishes on its own: stop() aborts it after the drain timeout, uncommitted.
          await new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))),
          );
        }
        first.push(seqOf(r));
      },
    });
    await vi.waitFor(() => expect(first.length >= 5, 'first 5').toBe(true), { timeout: 30_000 });
    await sub.stop();
    expect((await bus.lag('g-alo')).map((l) => l.lag)).toEqual([5]);
    const second: number[] = [];
    await bus.subscribe({ group: 'g-alo', topics: [SYSTEM], fromBeginning: true, handler: async (r) => void second.push(seqOf(r)) });
    await vi.waitFor(() => expect(second.includes(9), 'redelivery').toBe(true), { timeout: 30_000 });
    expect(first).toEqual([0, 1, 2, 3, 4]);
    expect(second).toEqual([5, 6, 7, 8, 9]); // 0..4 were committed; 5..9 were not
  });

  it('dead-letters invalid records and handler failures with reason headers', async () => {
    const bus = makeKafkaBus();
    await bus.start();
    await bus.publishRaw(SYSTEM, [{ key: 'bad', value: Buffer.from('{not json') }]);
    await bus.publish([probe(1, 'ok'), probe(2, 'boom', { fail: true }), probe(3, 'ok')]);
    const handled: number[] = [];
    let calls = 0;
    await bus.subscribe({
      group: 'g-dlq',
      topics: [SYSTEM],
      fromBeginning: true,
      retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
      handler: async (r) => {
        if ((r.event.data as { fail?: boolean }).fail) {
          calls++;
          throw new ProbeFailure('probe asked to fail');
        }
        handled.push(seqOf(r));
      },
    });
    const dead: { key: string; headers: Record<string, string> }[] = [];
    await bus.subscribe({ group: 'g-dlq-reader', topics: [`${SYSTEM}.dlq`], fromBeginning: true, raw: true, handler: async (r) => void dead.push(r) });
    await vi.waitFor(() => expect(dead.length >= 2 && handled.length >= 2, '2 dead letters').toBe(true), { timeout: 30_000 });
    expect(handled.sort()).toEqual([1, 3]);
    expect(calls).toBe(2);
    const bad = dead.find((d) => d.key === 'bad')!;
    expect(bad.headers[DLQ_HEADERS.code]).toBe('EVENT_MALFORMED_JSON');
    expect(bad.headers[DLQ_HEADERS.originalTopic]).toBe(SYSTEM);
    expect(bad.headers[DLQ_HEADERS.group]).toBe('g-dlq');
    const boom = dead.find((d) => d.key === 'boom')!;
    expect(boom.headers[DLQ_HEADERS.code]).toBe('ProbeFailure');
    expect(boom.headers[DLQ_HEADERS.attempts]).toBe('2');
    expect(boom.headers[DLQ_HEADERS.reason]).toBeTruthy();
    await vi.waitFor(
      async () =>
        expect(
          (await bus.lag('g-dlq')).every((l) => l.lag === 0),
          'dlq group committed',
        ).toBe(true),
      { timeout: 10_000 },
    );
  });

  it('a dead-letter write that fails non-retriably does not kill the consumer: the record is redelivered and consumption goes on', async () => {
    const bus = makeKafkaBus({ partitions: 1 });
    await bus.start();
    // The first dead-letter write fails for good (e.g. the DLQ record exceeds the broker's size limit).
    const b = bus as unknown as { sendRaw: (t: string, r: unknown[]) => Promise<void> };
    const real = b.sendRaw.bind(bus);
    let dlqFailures = 0;
    b.sendRaw = async (t, r) => {
      if (dlqFailures++ === 0) throw new BusError('BUS_PUBLISH_FAILED', 'dead letter rejected by the broker', { retriable: false });
      return real(t, r);
    };
    const seen: number[] = [];
    await bus.subscribe({
      group: 'g-dlq-fail',
      topics: [SYSTEM],
      fromBeginning: true,
      retry: { maxAttempts: 1 },
      handler: async (r) => {
        seen.push(seqOf(r));
        if ((r.event.data as { fail?: boolean }).fail) throw new ProbeFailure('boom');
      },
    });
    await bus.publish([probe(1, 'k', { fail: true }), probe(2, 'k')]);
    await vi.waitFor(() => expect(seen.includes(2), 'the record after the failed dead-letter').toBe(true), { timeout: 60_000 });
    expect(seen.filter((s) => s === 1).length).toBeGreaterThanOrEqual(2); // redelivered, then dead-lettered
  });

  it('pause stops delivery and resume continues it', async () => {
    const bus = makeKafkaBus();
    await bus.start();
    const seen: number[] = [];
    const sub = await bus.subscribe({ group: 'g-pause', topics: [SYSTEM], handler: async (r) => void seen.push(seqOf(r)) });
    sub.pause();
    await bus.publish(Array.from({ length: 10 }, (_, i) => probe(i)));
    await new Promise((r) => setTimeout(r, 2_000));
    expect(seen).toEqual([]);
    sub.resume();
    await vi.waitFor(() => expect(seen.length >= 10, 'resumed delivery').toBe(true), { timeout: 30_000 });
  });

  it('bounds in-flight handlers (automatic backpressure)', async () => {
    const bus = makeKafkaBus({ maxInFlight: 4, partitionsConsumedConcurrently: 3 });
    await bus.start();
    await bus.publish(Array.from({ length: 60 }, (_, i) => probe(i, `k${i}`)));
    let running = 0;
    let peak = 0;
    let done = 0;
    await bus.subscribe({
      group: 'g-bp',
      topics: [SYSTEM],
      fromBeginning: true,
      handler: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        done++;
      },
    });
    await vi.waitFor(() => expect(done >= 60, '60 handled').toBe(true), { timeout: 30_000 });
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1); // different keys do run concurrently
  });

  it('two buses in one group split the partitions and together see every event', async () => {
    const a = makeKafkaBus({ partitions: 6 });
    const b = makeKafkaBus({ partitions: 6, topicPrefix: a.config.topicPrefix });
    await Promise.all([a.start(), b.start()]);
    const seenA = new Map<number, number>();
    const seenB = new Map<number, number>();
    const handler = (m: Map<number, number>) => async (r: BusRecord) => void m.set(seqOf(r), r.partition);
    await a.subscribe({ group: 'g-scale', topics: [SYSTEM], fromBeginning: true, handler: handler(seenA) });
    await b.subscribe({ group: 'g-scale', topics: [SYSTEM], fromBeginning: true, handler: handler(seenB) });
    await a.publish(Array.from({ length: 300 }, (_, i) => probe(i, `subj-${i}`)));
    await vi.waitFor(() => expect(new Set([...seenA.keys(), ...seenB.keys()]).size >= 300, 'all 300').toBe(true), { timeout: 60_000 });
    expect(seenA.size).toBeGreaterThan(0);
    expect(seenB.size).toBeGreaterThan(0);
    const partsA = new Set(seenA.values());
    const partsB = new Set(seenB.values());
    expect([...partsA].filter((p) => partsB.has(p))).toEqual([]);
    expect(partsA.size + partsB.size).toBe(6);
  });
});

describe.skipIf(kafkaSvc.skip || process.env.CHAINWATCH_TEST_KAFKA_SCRIPT === undefined)('KafkaBus broker outage', () => {
  // Whatever happens in the test, leave a running broker behind for the next suite.
  afterAll(async () => {
    await startBroker();
    await stopAllBuses();
  });

  it('reports unready, fails publishes retriably or waits, loses nothing accepted', async () => {
    // A short session timeout lets the group drop the member that lived before the broker restart.
    const bus = makeKafkaBus({
      retry: { maxAttempts: 100, baseDelay: 200, maxDelay: 1_000, deadline: 6_000 },
      sessionTimeout: 8_000,
      heartbeatInterval: 1_000,
    });
    await bus.start();
    const accepted = new Set<number>();
    const seen = new Set<number>();
    await bus.subscribe({ group: 'g-outage', topics: [SYSTEM], fromBeginning: true, handler: async (r) => void seen.add(seqOf(r)) });
    let seq = 0;
    const publishOne = async (): Promise<unknown> => {
      const s = seq++;
      try {
        await bus.publish(probe(s));
        accepted.add(s);
        return undefined;
      } catch (err) {
        return err;
      }
    };
    for (let i = 0; i < 20; i++) await publishOne();
    await vi.waitFor(() => expect(seen.size >= 20, 'pre-outage delivery').toBe(true), { timeout: 30_000 });

    await killBroker();
    const downAt = Date.now();
    await vi.waitFor(() => expect(!bus.health().ready, 'health unready').toBe(true), { timeout: 15_000 });
    const errors: unknown[] = [];
    const calls: Promise<void>[] = [];
    while (Date.now() - downAt < 12_000) {
      calls.push(publishOne().then((e) => void (e && errors.push(e))));
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await startBroker();
    await Promise.all(calls);
    for (const e of errors) {
      expect(e).toBeInstanceOf(BusError);
      expect(e).toMatchObject({ code: 'BUS_UNAVAILABLE', retriable: true });
    }
    expect(errors.length).toBeGreaterThan(0); // a 12 s outage outlasts the 6 s publish deadline

    await vi.waitFor(() => expect(bus.health().ready, 'health ready again').toBe(true), { timeout: 60_000 });
    for (let i = 0; i < 20; i++) await publishOne();
    await vi.waitFor(
      () =>
        expect(
          [...accepted].every((s) => seen.has(s)),
          'every accepted event consumed',
        ).toBe(true),
      { timeout: 90_000 },
    );
    expect(accepted.size).toBeGreaterThanOrEqual(40);
  });
});

/** 300 events over 7 keys in 10 publishes; a slow key's handler must not let its own records overtake each other. */
async function expectPerKeyOrder(bus: ReturnType<typeof makeKafkaBus>, group: string): Promise<void> {
  await bus.start();
  for (let b = 0; b < 10; b++) await bus.publish(Array.from({ length: 30 }, (_, i) => probe(b * 30 + i, `k${i % 7}`)));
  const bySubject = new Map<string, number[]>();
  let n = 0;
  await bus.subscribe({
    group,
    topics: [SYSTEM],
    fromBeginning: true,
    handler: async (r) => {
      // Random delays make different keys overtake each other; one key must not.
      if (r.event.subject === 'k3') await new Promise((res) => setTimeout(res, Math.random() * 3));
      const list = bySubject.get(r.key) ?? [];
      list.push(seqOf(r));
      bySubject.set(r.key, list);
      n++;
    },
  });
  await vi.waitFor(() => expect(n >= 300, '300 records').toBe(true), { timeout: 60_000 });
  for (const [, seqs] of bySubject) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(bySubject.size).toBe(7);
}
