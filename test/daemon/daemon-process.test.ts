/**
 * The daemon as a real process on both bus adapters: readiness, dead-lettering of bad input
 * without stopping, SIGKILL mid-stream with at-least-once recovery, and SIGTERM drain.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import { KafkaBus } from '../../bus/kafka/index.js';
import type { Bus } from '../../core/index.js';
import { probe } from '../bus/contract.js';
import { built, httpStatus, metricValue, startDaemon } from '../helpers/daemon-process.js';
import { service } from '../helpers/services.js';

const kafka = service('CHAINWATCH_TEST_KAFKA_BROKERS', 'Kafka broker');

function journalSeqs(path: string): Set<number> {
  if (!existsSync(path)) return new Set();
  const seqs = new Set<number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      // Only the probes: the journal also holds the audit trail's published checkpoints.
      const { event } = JSON.parse(line) as { event: { data: { seq?: unknown } } };
      if (typeof event.data.seq === 'number') seqs.add(event.data.seq);
    } catch {
      // a torn last line after SIGKILL; the event is redelivered
    }
  }
  return seqs;
}

interface Setup {
  name: string;
  skip: boolean;
  config: (dir: string) => string;
  /** A producer in the test process, writing to the same bus the daemon reads. */
  producer: (dir: string) => Bus;
}

const prefix = `t${randomUUID().slice(0, 8)}.`;
const setups: Setup[] = [
  {
    name: 'embedded',
    skip: false,
    config: () => 'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 50ms\nsinks:\n  journal:\n    path: journal.jsonl\nshutdown:\n  deadline: 10s\n',
    producer: (dir) => new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') }),
  },
  {
    name: 'kafka',
    skip: kafka.skip,
    config: (dir) =>
      `bus:\n  kind: kafka\n  kafka:\n    brokers: ["${kafka.value}"]\n    topicPrefix: "${prefix}${dir.split('-').pop()}."\n    partitions: 3\nsinks:\n  journal:\n    path: journal.jsonl\nshutdown:\n  deadline: 15s\n`,
    producer: (dir) => new KafkaBus({ brokers: [kafka.value!], topicPrefix: `${prefix}${dir.split('-').pop()}.`, partitions: 3 }),
  },
];

describe.skipIf(!built())('daemon process', () => {
  for (const s of setups) {
    describe.skipIf(s.skip)(`on the ${s.name} bus`, () => {
      it('survives SIGKILL mid-stream: every event is handled at least once after restart', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cw-daemon-'));
        const cfg = join(dir, 'chainwatch.yaml');
        writeFileSync(cfg, s.config(dir));
        const journal = join(dir, 'journal.jsonl');
        const producer = s.producer(dir);
        await producer.start();
        const d1 = await startDaemon(['--config', cfg, '--data-dir', dir]);
        try {
          await vi.waitFor(async () => expect((await httpStatus(`${d1.url}/readyz`)) === 200, 'ready').toBe(true), { timeout: 60_000, interval: 100 });
          const N = 3000;
          // Publish in slices so the daemon is busy when it is killed.
          for (let i = 0; i < N; i += 250) {
            await producer.publish(Array.from({ length: 250 }, (_, k) => probe(i + k, `subject-${(i + k) % 13}`)));
            if (i === 1000) await vi.waitFor(() => expect(journalSeqs(journal).size > 200, 'some progress').toBe(true), { timeout: 60_000, interval: 100 });
          }
          d1.child.kill('SIGKILL');
          expect(await d1.exited).toBe(null);
          expect(journalSeqs(journal).size).toBeLessThan(N + 1);
          const d2 = await startDaemon(['--config', cfg, '--data-dir', dir]);
          try {
            await vi.waitFor(() => expect(journalSeqs(journal).size === N, `all ${N} events in the journal`).toBe(true), { timeout: 120_000, interval: 100 });
            expect([...journalSeqs(journal)].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
            d2.child.kill('SIGTERM');
            expect(await d2.exited).toBe(0);
          } finally {
            d2.child.kill('SIGKILL');
          }
        } finally {
          d1.child.kill('SIGKILL');
          await producer.stop();
        }
      });

      it('dead-letters malformed and unknown events, counts them, and keeps going; SIGTERM drains and exits 0', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cw-daemon-'));
        const cfg = join(dir, 'chainwatch.yaml');
        writeFileSync(cfg, s.config(dir));
        const producer = s.producer(dir);
        await producer.start();
        const d = await startDaemon(['--config', cfg, '--data-dir', dir]);
        try {
          await vi.waitFor(async () => expect((await httpStatus(`${d.url}/readyz`)) === 200, 'ready').toBe(true), { timeout: 60_000, interval: 100 });
          expect(await httpStatus(`${d.url}/healthz`)).toBe(200);
          await producer.publishRaw('chainwatch.system', [
            { key: 'bad', value: Buffer.from('{"this is": not json') },
            { key: 'bad', value: Buffer.from(JSON.stringify({ ...probe(1), type: 'dev.chainwatch.never.v1' })) },
          ]);
          await producer.publish(probe(42, 'after-bad'));
          const journal = join(dir, 'journal.jsonl');
          await vi.waitFor(() => expect(journalSeqs(journal).has(42), 'event after the bad ones').toBe(true), { timeout: 60_000, interval: 100 });
          // Two consumer groups read chainwatch.system (the journal and the audit trail, on by
          // default); each dead-letters what it cannot use, independently.
          await vi.waitFor(
            async () =>
              expect((await metricValue(d.url, 'chainwatch_bus_events_dead_lettered_total', { topic: 'chainwatch.system' })) === 4, 'dlq metric').toBe(true),
            { timeout: 30_000, interval: 100 },
          );
          expect(await metricValue(d.url, 'chainwatch_bus_events_failed_total', { code: 'EVENT_MALFORMED_JSON' })).toBe(2);
          expect(await metricValue(d.url, 'chainwatch_bus_events_failed_total', { code: 'EVENT_UNKNOWN_TYPE' })).toBe(2);
          const started = Date.now();
          d.child.kill('SIGTERM');
          expect(await d.exited).toBe(0);
          expect(Date.now() - started).toBeLessThan(15_000);
          expect(d.stdout()).toContain('chainwatch stopped');
        } finally {
          d.child.kill('SIGKILL');
          await producer.stop();
        }
      });
    });
  }
});
