import { describe, expect, it } from 'vitest';
import { MemoryMetrics } from '../../core/testing/index.js';
import { pipelineMetrics } from './metrics.js';

/** /metrics lists every configured sink's and route's series at zero, before the first notification. */
describe('alert pipeline metrics', () => {
  it('start the series of the configured sinks and routes at zero', () => {
    const m = new MemoryMetrics();
    pipelineMetrics(m, { sinks: ['soc'], routes: ['page'] });
    for (const name of [
      'sink_notifications_enqueued_total',
      'sink_notifications_delivered_total',
      'sink_delivery_retries_total',
      'sink_notifications_dead_lettered_total',
    ]) {
      expect(m.values.get(`${name}{sink=soc}`), name).toBe(0);
    }
    for (const name of ['alerts_dedup_suppressed_total', 'alerts_throttled_total', 'alerts_resolve_unmatched_total']) {
      expect(m.values.get(`${name}{route=page}`), name).toBe(0);
    }
  });
});
