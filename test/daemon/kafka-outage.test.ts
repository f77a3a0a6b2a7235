/**
 * Kafka broker outage seen from the daemon: /readyz turns 503 while the broker is down, what the
 * bus had accepted is kept, and the daemon catches up (journal complete) once the broker returns.
 * Stops the shared test broker with scripts/services/kafka.sh stop-broker (SIGKILL, data kept).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { KafkaBus } from '../../bus/kafka/index.js';
import { probe } from '../bus/contract.js';
import { built, httpStatus, ROOT, startDaemon } from '../helpers/daemon-process.js';
import { service } from '../helpers/services.js';

const kafka = service('CHAINWATCH_TEST_KAFKA_BROKERS', 'Kafka broker');
const script = join(ROOT, 'scripts', 'services', 'kafka.sh');

function seqs(path: string): Set<number> {
  if (!existsSync(path)) return new Set();
  return new Set(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { event: { data: { seq: number } } }).event.data.seq),
  );
}

describe.skipIf(kafka.skip || !built())('daemon during a Kafka broker outage', () => {
  it('reports not ready while the broker is down and catches up when it returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-outage-'));
    const prefix = `o${randomUUID().slice(0, 8)}.`;
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      `bus:\n  kind: kafka\n  kafka:\n    brokers: ["${kafka.value}"]\n    topicPrefix: "${prefix}"\n    partitions: 2\n    healthProbe: 500ms\nsinks:\n  journal:\n    path: journal.jsonl\n`,
    );
    const journal = join(dir, 'journal.jsonl');
    const producer = new KafkaBus({ brokers: [kafka.value!], topicPrefix: prefix, partitions: 2 });
    await producer.start();
    const d = await startDaemon(['--config', cfg, '--data-dir', dir]);
    let brokerDown = false;
    try {
      await vi.waitFor(async () => expect((await httpStatus(`${d.url}/readyz`)) === 200, 'ready').toBe(true), { timeout: 60_000, interval: 100 });
      await producer.publish(Array.from({ length: 200 }, (_, i) => probe(i)));
      await vi.waitFor(() => expect(seqs(journal).size === 200, 'first 200').toBe(true), { timeout: 60_000, interval: 100 });
      await producer.stop();

      execFileSync('bash', [script, 'stop-broker'], { stdio: 'ignore' });
      brokerDown = true;
      await vi.waitFor(async () => expect((await httpStatus(`${d.url}/readyz`)) === 503, 'not ready during outage').toBe(true), {
        timeout: 60_000,
        interval: 100,
      });
      expect(await httpStatus(`${d.url}/healthz`)).toBe(200); // the process itself is fine
      await new Promise((r) => setTimeout(r, 3000));

      execFileSync('bash', [script, 'start-broker'], { stdio: 'ignore' });
      brokerDown = false;
      await vi.waitFor(async () => expect((await httpStatus(`${d.url}/readyz`)) === 200, 'ready after outage').toBe(true), { timeout: 120_000, interval: 100 });
      const again = new KafkaBus({ brokers: [kafka.value!], topicPrefix: prefix, partitions: 2 });
      await again.start();
      await again.publish(Array.from({ length: 200 }, (_, i) => probe(200 + i)));
      await again.stop();
      await vi.waitFor(() => expect(seqs(journal).size === 400, 'all 400 after the outage').toBe(true), { timeout: 120_000, interval: 100 });
      expect([...seqs(journal)].sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    } finally {
      if (brokerDown) execFileSync('bash', [script, 'start-broker'], { stdio: 'ignore' });
      d.child.kill('SIGTERM');
      await d.exited;
    }
    // The waits above allow up to 60 s per phase (more for the broker's return) on a loaded machine;
    // the test's own limit must not be shorter than they are.
  }, 420_000);
});
