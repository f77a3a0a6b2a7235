/**
 * KafkaBus throughput, publish -> consume -> commit, with 1 KiB ProbeEvents, beside a raw kafkajs
 * loop doing the same wire work in the same process and run. The baseline serialises each event
 * with JSON.stringify and parses it with JSON.parse (any real producer/consumer must), but has no
 * schema validation, no processRecord (retries, spans, metrics, DLQ) and no per-key scheduling:
 * the ratio is the price of the bus' guarantees.
 *   pipeline: one consumer group subscribed, then N events published in arrays of `batch`, with
 *             `concurrency` publishes in flight; the clock stops when every event was handled
 *             and the group's committed lag is 0.
 * Needs the test broker: eval "$(scripts/services/kafka.sh start)" (`npm run bench -- bus-kafka`
 * starts it). Both clients run in this process; the broker is a separate JVM on the same machine.
 * Run: npx tsx bench/bus-kafka.bench.ts [--events 200000] [--batch 1000] [--concurrency 4]
 *   (writes bench/results/bus-kafka.json)
 */
import { report } from './harness/report.js';
import { benchSpec } from './harness/specs.js';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { KafkaBus } from '../bus/kafka/index.js';
import { type CloudEvent, encodeEvent, makeEvent, ProbeEvent, topicFor } from '../core/index.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    partitions: { type: 'string', default: '6' },
  },
});
const N = Number(args.events);
const BATCH = Number(args.batch);
const CONCURRENCY = Number(args.concurrency);
const PARTITIONS = Number(args.partitions);
const brokers = (process.env.CHAINWATCH_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const payload = 'x'.repeat(1024);
const prefix = `bench${Date.now().toString(36)}${randomBytes(2).toString('hex')}.`;

function events(): CloudEvent[] {
  return Array.from({ length: N }, (_, i) =>
    makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:bench', subject: `s${i % 64}`, data: { seq: i, payload } }),
  );
}

/** Runs `publishChunk` over N items in chunks, `CONCURRENCY` chunks in flight. */
async function publishAll<T>(items: T[], publishChunk: (chunk: T[]) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const start = next;
      next += BATCH;
      await publishChunk(items.slice(start, start + BATCH));
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
  const evs = events();
  const bus = new KafkaBus({
    brokers,
    clientId: 'bench-bus',
    topicPrefix: `${prefix}bus.`,
    partitions: PARTITIONS,
    maxInFlight: 2048,
    partitionsConsumedConcurrently: PARTITIONS,
  });
  await bus.start();
  let handled = 0;
  const group = 'bench-bus';
  await bus.subscribe({ group, topics: [topicFor('system')], fromBeginning: true, handler: async () => void handled++ });
  const t0 = performance.now();
  const c0 = cpuNow();
  await publishAll(evs, (chunk) => bus.publish(chunk));
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
  const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const evs = events();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: 'bench-raw', maxWaitTimeInMs: 500 });
  await consumer.connect();
  // Metadata of a topic created a moment ago can lag behind on the first request; try again.
  for (let attempt = 1; ; attempt++) {
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  let handled = 0;
  let committed = 0;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const m of batch.messages) if (m.value) JSON.parse(m.value.toString('utf8'));
      handled += batch.messages.length;
      const last = batch.lastOffset();
      resolveOffset(last);
      await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }] });
      committed += batch.messages.length;
    },
  });
  const t0 = performance.now();
  const c0 = cpuNow();
  await publishAll(evs, async (chunk) => {
    const messages = chunk.map((ev) => ({ key: ev.subject!, value: encodeEvent(ev) }));
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
  });
  const publishSeconds = (performance.now() - t0) / 1000;
  await waitUntil(() => handled >= N && committed >= N);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuNow() - c0;
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  return { seconds, publishSeconds, cpuSeconds };
}

const raw = await benchRaw();
const bus = await benchBus();
const perEventUs = (r: Result): number => (r.cpuSeconds / N) * 1e6;
report(
  benchSpec('bus-kafka'),
  {
    busPipeline: N / bus.seconds,
    rawPipeline: N / raw.seconds,
    busPublish: N / bus.publishSeconds,
    rawPublish: N / raw.publishSeconds,
    // Load-independent view: Node CPU per event for the whole pipeline (both clients run in this
    // process; the broker is a separate JVM).
    busCpu: perEventUs(bus),
    rawCpu: perEventUs(raw),
  },
  [
    `${N} events, batch ${BATCH}, ${CONCURRENCY} publishes in flight, ${PARTITIONS} partitions; Kafka ${process.env.CHAINWATCH_KAFKA_VERSION ?? '4.1.1'} single node (scripts/services/kafka.sh) on the same machine`,
  ],
);
process.exit(0);
