import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { type Component, silentLogger } from '../core/index.js';
import { PromMetrics } from './metrics.js';
import { Supervisor } from './supervisor.js';

/**
 * A fresh daemon's /metrics must show the labelled series it knows up front at zero (topics,
 * components), not only HELP/TYPE lines: dashboards and rate() need a series before the first event.
 */
describe('labelled series start at zero', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-metrics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bus topics: published, consumed and dead-lettered', async () => {
    const m = new PromMetrics(false);
    const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') }, silentLogger, m);
    const text = await m.text();
    for (const name of ['bus_events_published_total', 'bus_events_consumed_total', 'bus_events_dead_lettered_total']) {
      expect(text).toContain(`chainwatch_${name}{topic="chainwatch.system"} 0`);
      expect(text).toContain(`chainwatch_${name}{topic="chainwatch.findings"} 0`);
    }
    await bus.stop();
  });

  it('supervised components: restarts and up', async () => {
    const m = new PromMetrics(false);
    const component = (): Component => ({ name: 'rekor', start: async () => {}, stop: async () => {}, flush: async () => {} });
    const sup = new Supervisor([{ kind: 'collector', name: 'rekor', fingerprint: 'v1', create: component }], {
      minBackoffMs: 10,
      maxBackoffMs: 10,
      context: () => {
        throw new Error('not started in this test');
      },
      logger: silentLogger,
      metrics: m,
    });
    expect(sup).toBeDefined();
    const text = await m.text();
    expect(text).toContain('chainwatch_component_restarts_total{component="rekor"} 0');
    expect(text).toContain('chainwatch_component_up{component="rekor"} 0');
  });
});
