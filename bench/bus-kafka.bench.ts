/**
 * KafkaBus throughput, publish -> consume -> commit, with 1 KiB ProbeEvents, beside a raw
 * @platformatic/kafka loop built the same way (same client and options, batched) in the same
 * process and run:
 *   raw: idempotent producer (acks=all, the bus' partitioner), one send() per `batch` events with
 *        the same envelope encoding; a consumer-group stream read as fast as it delivers, JSON.parse
 *        per record, and one commit in flight covering every partition read meanwhile (what the bus does too).
 *        No schema validation, no processRecord (retries, spans, metrics, DLQ), no per-key chains:
 *        the ratio is the price of the bus' guarantees.
 *   bus: KafkaBus.publish(array of `batch`) and one subscription.
 * Events are made per chunk as the publishers need them, so at most `concurrency` x `batch` events
 * are alive on the publishing side (a run that builds all N events first measures the garbage
 * collector on a huge heap, not the client). The clock stops when every event was handled and the
 * group's committed lag is 0. The load average at start and end is printed and recorded.
 * Needs the test broker: `npm run bench -- bus-kafka` starts it (bench/with-services.sh).
 * Run: npx tsx bench/bus-kafka.bench.ts [--events 200000] [--batch 1000] [--concurrency 4]
 *   (writes bench/results/bus-kafka.json; `npm run docs` renders docs/benchmarks.md)
 */
import { report } from './harness/report.js';
import { benchSpec } from './harness/specs.js';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Admin, compatibilityPartitioner, Consumer, type Message, Producer, stringSerializer } from '@platformatic/kafka';
import { KafkaBus } from '../bus/kafka/index.js';
import { type CloudEvent, encodeEvent, makeEvent, ProbeEvent, topicFor } from '../core/index.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    partitions: { type: 'string', default: '6' },
    producers: { type: 'string' }, // the bus' `producers` (default: its config default)
    only: { type: 'string' }, // 'bus' or 'raw' (profiling one side)
  },
});
const N = Number(args.events);
const BATCH = Number(args.batch);
const CONCURRENCY = Number(args.concurrency);
const PARTITIONS = Number(args.partitions);
const brokers = (process.env.CHAINWATCH_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const payload = 'x'.repeat(1024);
const prefix = `bench${Date.now().toString(36)}${randomBytes(2).toString('hex')}.`;

function event(i: number): CloudEvent {
  return makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:bench', subject: `s${i % 64}`, data: { seq: i, payload } });
}

/** Publishes events 0..N-1 in chunks of BATCH made on demand, CONCURRENCY chunks in flight. */
async function publishAll(publishChunk: (chunk: CloudEvent[]) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < N) {
      const start = next;
      next = Math.min(N, next + BATCH);
      const chunk: CloudEvent[] = [];
      for (let i = start; i < next; i++) chunk.push(event(i));
      await publishChunk(chunk);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

async function waitUntil(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 5));
}

/** Wall-clock seconds, and CPU seconds of this Node process (user+sys) over the same span. */
interface Result {
  seconds: number;
  publishSeconds: number;
  cpuSeconds: number;
}
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function benchBus(): Promise<Result> {
  const bus = new KafkaBus({
    brokers,
    clientId: 'bench-bus',
    topicPrefix: `${prefix}bus.`,
    partitions: PARTITIONS,
    maxInFlight: 2048,
    partitionsConsumedConcurrently: PARTITIONS,
    ...(args.producers ? { producers: Number(args.producers) } : {}),
  });
  await bus.start();
  let handled = 0;
  const group = 'bench-bus';
  await bus.subscribe({ group, topics: [topicFor('system')], fromBeginning: true, handler: async () => void handled++ });
  const t0 = performance.now();
  const c0 = cpuNow();
  await publishAll((chunk) => bus.publish(chunk));
  const publishSeconds = (performance.now() - t0) / 1000;
  await waitUntil(() => handled >= N);
  await waitUntil(async () => (await bus.lag(group)).reduce((s, l) => s + l.lag, 0) === 0);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuNow() - c0;
  await bus.stop();
  return { seconds, publishSeconds, cpuSeconds };
}

async function benchRaw(): Promise<Result> {
  const topic = `${prefix}raw`;
  const base = { bootstrapBrokers: brokers, clientId: 'bench-raw', retries: 2 };
  const admin = new Admin(base);
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: -1 });
  await waitUntil(async () => {
    const t = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
    return !!t && t.partitions.every((p) => p.leader >= 0);
  });
  const producer = new Producer<string, Buffer, string, string>({
    ...base,
    idempotent: true,
    partitioner: compatibilityPartitioner,
    serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });
  const consumer = new Consumer({ ...base, groupId: 'bench-raw', autocommit: false, maxWaitTime: 500 });
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
  await new Promise<void>((r) => stream.once('offsets', () => r()));
  let handled = 0;
  let committed = 0;
  // One commit in flight; offsets read meanwhile go into the next (as the bus coalesces).
  const pending = new Map<number, { offset: bigint; leaderEpoch: number; count: number }>();
  let committing = false;
  const flush = (): void => {
    if (committing || pending.size === 0) return;
    committing = true;
    const batch = [...pending].map(([partition, p]) => ({ topic, partition, offset: p.offset + 1n, leaderEpoch: p.leaderEpoch, count: p.count }));
    pending.clear();
    consumer.commit({ offsets: batch.map(({ count: _c, ...o }) => o) }).then(
      () => {
        for (const b of batch) committed += b.count;
        committing = false;
        flush();
      },
      (err: unknown) => {
        throw err;
      },
    );
  };
  stream.on('readable', () => {
    for (let m = stream.read() as Message | null; m !== null; m = stream.read() as Message | null) {
      JSON.parse(m.value.toString('utf8'));
      handled++;
      const p = pending.get(m.partition);
      if (p) {
        p.offset = m.offset;
        p.count++;
      } else pending.set(m.partition, { offset: m.offset, leaderEpoch: m.leaderEpoch, count: 1 });
    }
    flush();
  });
  const t0 = performance.now();
  const c0 = cpuNow();
  await publishAll(async (chunk) => {
    await producer.send({ messages: chunk.map((ev) => ({ topic, key: ev.subject!, value: encodeEvent(ev) })) });
  });
  const publishSeconds = (performance.now() - t0) / 1000;
  await waitUntil(() => handled >= N && committed >= N);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuNow() - c0;
  await stream.close();
  await consumer.close();
  await producer.close();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.close();
  return { seconds, publishSeconds, cpuSeconds };
}

const raw = args.only === 'bus' ? undefined : await benchRaw();
const bus = args.only === 'raw' ? undefined : await benchBus();
if (!raw || !bus) {
  for (const [name, r] of [
    ['raw', raw],
    ['bus', bus],
  ] as const)
    if (r) console.log(`${name}: ${Math.round(N / r.seconds)} events/s, ${((r.cpuSeconds / N) * 1e6).toFixed(1)} µs CPU/event`);
  process.exit(0);
}
const perEventUs = (r: Result): number => (r.cpuSeconds / N) * 1e6;
report(
  benchSpec('bus-kafka'),
  {
    busPipeline: N / bus.seconds,
    rawPipeline: N / raw.seconds,
    busPublish: N / bus.publishSeconds,
    rawPublish: N / raw.publishSeconds,
    // Load-independent view: Node CPU per event for the whole pipeline (producer and consumer run
    // in this process; the broker is a separate JVM).
    busCpu: perEventUs(bus),
    rawCpu: perEventUs(raw),
  },
  [
    `${N} events, batch ${BATCH}, ${CONCURRENCY} publishes in flight (at most ${CONCURRENCY * BATCH} events alive on the publishing side), ${PARTITIONS} partitions; @platformatic/kafka 2.12 on both sides; Kafka ${process.env.CHAINWATCH_KAFKA_VERSION ?? '4.1.1'} single node (scripts/services/kafka.sh) on the same machine`,
  ],
);
process.exit(0);
