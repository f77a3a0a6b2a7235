import { describe, expect, it } from 'vitest';
import { BusError, type Finding, FindingEvent, silentLogger } from '../core/index.js';
import { MemoryBus, MemoryMetrics, sqliteFullError } from '../core/testing/index.js';
import { DaemonStorageMonitor } from './storage-monitor.js';

describe('DaemonStorageMonitor', () => {
  it('reports a full store at once (readiness, gauge), publishes storage.full once the bus accepts, and resolves it', async () => {
    const bus = new MemoryBus();
    const metrics = new MemoryMetrics();
    const m = new DaemonStorageMonitor(silentLogger, metrics, 'cw1');
    m.attach(bus);
    // The bus itself is on the full disk: it refuses the finding.
    bus.failWith = new BusError('BUS_PUBLISH_FAILED', 'embedded bus append failed', { cause: sqliteFullError(), retriable: true });
    m.failing('audit', '/data/audit/audit.db', sqliteFullError());
    m.failing('audit', '/data/audit/audit.db', sqliteFullError()); // one episode, reported once
    expect(m.conditions()).toMatchObject([{ store: 'audit', path: '/data/audit/audit.db', code: 'SQLITE_FULL' }]);
    expect(metrics.get('storage_write_failing', { store: 'audit' })).toBe(1);
    expect(metrics.get('storage_write_failing', { store: 'bus' })).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(bus.events('chainwatch.findings')).toEqual([]);

    m.ok('audit');
    expect(m.conditions()).toEqual([]);
    expect(metrics.get('storage_write_failing', { store: 'audit' })).toBe(0);
    bus.failWith = undefined; // space is back
    const findings = async (): Promise<Finding[]> => bus.events('chainwatch.findings').map((e) => e.data as Finding);
    await expect.poll(async () => (await findings()).length, { timeout: 10_000 }).toBe(2);
    const [firing, resolved] = await findings();
    expect(firing).toMatchObject({
      rule: 'storage.full',
      category: 'infrastructure',
      status: 'firing',
      dedupKey: 'storage.full:cw1:audit',
      evidence: { store: 'audit', path: '/data/audit/audit.db', code: 'SQLITE_FULL' },
    });
    expect(resolved).toMatchObject({ status: 'resolved', dedupKey: firing!.dedupKey });
    expect(bus.events('chainwatch.findings').every((e) => e.type === FindingEvent.type)).toBe(true);
    await m.stop();
  });

  it('keeps one episode while the bus has not taken its end: a failure right after a lucky write reopens it', async () => {
    const bus = new MemoryBus();
    bus.failWith = new BusError('BUS_PUBLISH_FAILED', 'full', { cause: sqliteFullError(), retriable: true });
    const m = new DaemonStorageMonitor(silentLogger, new MemoryMetrics(), 'cw1');
    m.attach(bus);
    for (let i = 0; i < 5; i++) {
      m.failing('bus', '/data/bus.db', sqliteFullError());
      m.ok('bus');
    }
    m.failing('bus', '/data/bus.db', sqliteFullError());
    expect(m.conditions()).toHaveLength(1);
    m.ok('bus');
    bus.failWith = undefined;
    await expect.poll(() => bus.events('chainwatch.findings').length, { timeout: 10_000 }).toBe(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(bus.events('chainwatch.findings').map((e) => (e.data as Finding).status)).toEqual(['firing', 'resolved']);
    await m.stop();
  });
});
