/** Bus adapters (embedded SQLite, Kafka). */
import type { BenchSpec } from '../spec.js';

export const busEmbedded: BenchSpec = {
  name: 'bus-embedded',
  title: 'Embedded bus (SQLite) and idle daemon memory',
  order: 1,
  page: 'benchmarks-bus-embedded.md',
  args: ['50000'],
  nodeArgs: [],
  services: [],
  measurements: {
    busLive: { label: 'EmbeddedBus publish → consume → commit, 1 KiB events, consumer keeping up (median of rounds)', unit: 'events/s' },
    bus: { label: 'EmbeddedBus publish → consume → commit, 1 KiB events, consumer draining a backlog (median of rounds)', unit: 'events/s' },
    rawInsert: { label: 'raw SQLite insert of the same rows (WAL, batches of 500)', unit: 'events/s' },
    rawInsertReadBack: { label: 'raw SQLite insert and read back of the same rows', unit: 'events/s' },
    busLiveCpu: { label: 'EmbeddedBus, consumer keeping up: CPU per event, publish → consume → commit', unit: 'µs' },
    busCpu: { label: 'EmbeddedBus, consumer draining a backlog: CPU per event, publish → consume → commit', unit: 'µs' },
    rawCpu: { label: 'raw SQLite insert: CPU per event', unit: 'µs' },
    rawReadBackCpu: { label: 'raw SQLite insert and read back: CPU per event', unit: 'µs' },
    pairedRatioLive: { label: 'raw insert CPU per event / bus (keeping up) CPU per event, median over interleaved rounds', unit: 'ratio' },
    pairedRatio: { label: 'raw insert CPU per event / bus (backlog) CPU per event, median over interleaved rounds', unit: 'ratio' },
    pairedRatioReadBack: { label: 'raw insert + read back CPU per event / bus (backlog) CPU per event, median over interleaved rounds', unit: 'ratio' },
    daemonRss: { label: 'idle daemon RSS, embedded defaults, 5 s after start', unit: 'MiB' },
    bareRss: { label: 'bare `node` process RSS, 3 s after start', unit: 'MiB' },
    eventBytes: { label: 'event size on the wire', unit: 'B' },
  },
  figures: [
    // Issue 9 raised the ratio target from 0.5 to 0.6. Ratios are of CPU time per event, paired
    // per round: on the shared machine wall-clock rates measured one after the other are not
    // comparable (the wall-clock ratio is a figure of its own, comparable with the reference run).
    {
      id: 'pipeline',
      label: 'publish → consume → commit, 1 KiB events, consumer keeping up',
      value: 'busLive',
      baseline: 'rawInsert',
      ratio: { measurement: 'pairedRatioLive', method: 'median over interleaved rounds of raw-insert CPU per event / bus CPU per event' },
      better: 'higher',
      checks: [
        { of: 'value', op: '>=', bound: 20_000 },
        { of: 'ratio', op: '>=', bound: 0.6 },
      ],
      tolerance: 0.15,
    },
    {
      id: 'pipeline-backlog',
      label: 'same, consumer draining a backlog of N from the file',
      value: 'bus',
      baseline: 'rawInsert',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds of raw-insert CPU per event / bus CPU per event' },
      better: 'higher',
      checks: [
        { of: 'value', op: '>=', bound: 20_000 },
        { of: 'ratio', op: '>=', bound: 0.6 },
      ],
      tolerance: 0.15,
    },
    {
      id: 'pipeline-wall',
      label: 'backlog, wall-clock rates (medians of rounds)',
      value: 'bus',
      baseline: 'rawInsert',
      better: 'higher',
      tolerance: 0.15,
    },
    {
      id: 'pipeline-vs-read-back',
      label: 'backlog, against raw insert and read back',
      value: 'bus',
      baseline: 'rawInsertReadBack',
      ratio: { measurement: 'pairedRatioReadBack', method: 'median over interleaved rounds of CPU per event, as above' },
      better: 'higher',
      tolerance: 0.15,
    },
    // The target was set as 120 MB; RSS is measured in MiB (kB / 1024), and 120 MB = 114.4 MiB.
    {
      id: 'idle-rss',
      label: 'idle daemon RSS, embedded defaults (target 120 MB)',
      value: 'daemonRss',
      baseline: 'bareRss',
      better: 'lower',
      checks: [{ of: 'value', op: '<=', bound: 114.4 }],
      tolerance: 0.05,
    },
  ],
};

export const busKafka: BenchSpec = {
  name: 'bus-kafka',
  title: 'Kafka bus',
  order: 2,
  page: 'benchmarks-kafka.md',
  args: ['--events', '200000'],
  nodeArgs: [],
  services: ['kafka'],
  measurements: {
    busPipeline: { label: 'KafkaBus publish → consume → commit, 1 KiB events', unit: 'events/s' },
    rawPipeline: { label: 'raw @platformatic/kafka produce/consume/commit loop, batched the same way', unit: 'events/s' },
    busPublish: { label: 'KafkaBus publish only, acks=all', unit: 'events/s' },
    rawPublish: { label: 'raw @platformatic/kafka send of the same batches, idempotent, acks=all', unit: 'events/s' },
    busCpu: { label: 'KafkaBus: Node CPU per event over the pipeline', unit: 'µs' },
    rawCpu: { label: 'raw @platformatic/kafka: Node CPU per event over the pipeline', unit: 'µs' },
  },
  figures: [
    {
      id: 'pipeline',
      label: 'publish → consume → commit, 1 KiB, 200k events, 6 partitions',
      value: 'busPipeline',
      baseline: 'rawPipeline',
      better: 'higher',
      checks: [{ of: 'value', op: '>=', bound: 50_000 }],
      tolerance: 0.3,
    },
    { id: 'publish', label: 'publish only, acks=all', value: 'busPublish', baseline: 'rawPublish', better: 'higher', tolerance: 0.3 },
    { id: 'cpu-per-event', label: 'Node CPU per event, whole pipeline', value: 'busCpu', baseline: 'rawCpu', better: 'lower', tolerance: 0.15 },
  ],
};
