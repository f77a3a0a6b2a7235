import { describe, expect, it } from 'vitest';
import { type Component, type ComponentContext, MemoryStateStore, noopMetrics, silentLogger } from '../core/index.js';
import { MemoryBus } from '../core/testing/memory-bus.js';
import { Supervisor } from './supervisor.js';

function ctxFactory() {
  const bus = new MemoryBus();
  const state = new MemoryStateStore();
  return (name: string, fail: (err: unknown) => void): ComponentContext => ({ bus, state, logger: silentLogger, metrics: noopMetrics, dataDir: '/tmp', fail, now: () => new Date() });
}

describe('Supervisor', () => {
  it('restarts a component whose start() rejects, with backoff, while others keep running', async () => {
    let attempts = 0;
    const stable: string[] = [];
    const sup = new Supervisor(
      [
        {
          kind: 'collector',
          name: 'flaky',
          create: (): Component => ({
            name: 'flaky',
            start: async () => {
              attempts++;
              if (attempts < 3) throw new Error('not yet');
            },
            stop: async () => {},
            flush: async () => {},
          }),
        },
        { kind: 'sink', name: 'stable', create: (): Component => ({ name: 'stable', start: async () => void stable.push('start'), stop: async () => void stable.push('stop'), flush: async () => {} }) },
      ],
      { minBackoffMs: 10, maxBackoffMs: 50, context: ctxFactory(), logger: silentLogger, metrics: noopMetrics },
    );
    await sup.start();
    expect(sup.status().find((s) => s.name === 'flaky')!.state).toBe('backoff');
    expect(sup.status().find((s) => s.name === 'stable')!.ready).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    const flaky = sup.status().find((s) => s.name === 'flaky')!;
    expect(attempts).toBe(3);
    expect(flaky.state).toBe('running');
    expect(flaky.restarts).toBe(2);
    expect(flaky.lastError).toContain('not yet');
    await sup.stop();
    expect(stable).toEqual(['start', 'stop']);
  });

  it('restarts a component that reports a crash from background work, and stops in kind order', async () => {
    const order: string[] = [];
    let fail: ((e: unknown) => void) | undefined;
    let starts = 0;
    const make = (kind: 'collector' | 'detector' | 'sink', name: string) => ({
      kind,
      name,
      create: (ctx: ComponentContext): Component => {
        if (name === 'c') fail = ctx.fail;
        return { name, start: async () => void (name === 'c' && starts++), stop: async () => void order.push(name), flush: async () => {} };
      },
    });
    const sup = new Supervisor([make('sink', 's'), make('detector', 'd'), make('collector', 'c')], { minBackoffMs: 5, maxBackoffMs: 5, context: ctxFactory(), logger: silentLogger, metrics: noopMetrics });
    await sup.start();
    fail!(new Error('background loop died'));
    await new Promise((r) => setTimeout(r, 100));
    expect(starts).toBe(2);
    expect(order).toEqual(['c']); // the crashed instance was stopped before its replacement started
    order.length = 0;
    await sup.stop();
    expect(order).toEqual(['c', 'd', 's']);
  });
});
