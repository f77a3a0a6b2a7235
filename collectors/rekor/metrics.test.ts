import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, TLOG_ANOMALY_KINDS } from '../../core/index.js';
import { MemoryBus, MemoryKeyProvider, MemoryMetrics, MemoryStateStore } from '../../core/testing/index.js';
import { createRekorCollector } from './collector.js';
import { FakeRekor, loadRecording } from './testing/fake-rekor.js';

/** /metrics lists a followed log's series at zero from the start, not only after its first entry or anomaly. */
describe('rekor collector metrics', () => {
  const rec = loadRecording();
  let fake: FakeRekor | undefined;
  afterEach(async () => fake?.stop());

  it('starts the entry and anomaly series of its log at zero', async () => {
    fake = new FakeRekor(rec);
    await fake.start();
    const metrics = new MemoryMetrics();
    const ctx = {
      bus: new MemoryBus(),
      state: new MemoryStateStore(),
      logger: silentLogger,
      metrics,
      dataDir: '/nonexistent',
      keys: new MemoryKeyProvider(),
      fail: () => undefined,
      now: () => new Date(),
    };
    const c = createRekorCollector({ url: fake.url, publicKey: rec.publicKey, start: 'beginning', pollInterval: 30_000, origin: 'test-log' }, ctx);
    await c.start();
    await c.stop();
    expect(metrics.values.has('rekor_entries_verified_total{log=test-log}')).toBe(true);
    for (const kind of TLOG_ANOMALY_KINDS) expect(metrics.values.has(`rekor_anomalies_total{kind=${kind},log=test-log}`), kind).toBe(true);
  });
});
