/** `chainwatch events publish|tail` against the real Kafka broker (bus chosen by CHAINWATCH_* env). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { built, runCli } from './helpers/daemon-process.js';
import { service } from './helpers/services.js';

const kafka = service('CHAINWATCH_TEST_KAFKA_BROKERS', 'Kafka broker');

describe.skipIf(kafka.skip || !built())('events CLI on the Kafka bus', () => {
  it('publishes valid lines, reports bad ones by number, and tails them back', async () => {
    const env = {
      CHAINWATCH_BUS__KIND: 'kafka',
      CHAINWATCH_BUS__KAFKA__BROKERS: kafka.value!,
      CHAINWATCH_BUS__KAFKA__TOPIC_PREFIX: `cli${randomUUID().slice(0, 8)}.`,
    };
    const ev = (seq: number) =>
      JSON.stringify({ specversion: '1.0', id: `k-${seq}`, source: 'urn:cli', type: 'dev.chainwatch.system.probe.v1', subject: 's', data: { seq } });
    const pub = await runCli(['events', 'publish', 'system'], [ev(1), 'nope', ev(2)].join('\n'), env);
    expect(pub.stderr).toMatch(/^line 2: EVENT_MALFORMED_JSON/m);
    expect(pub.code).toBe(1);
    const tail = await runCli(['events', 'tail', 'system', '--from-beginning', '--max', '2', '--timeout', '60'], undefined, env);
    expect(tail.code).toBe(0);
    const ids = tail.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: { id: string } }).event.id);
    expect(ids.sort()).toEqual(['k-1', 'k-2']);
  });
});
