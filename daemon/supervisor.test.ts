import { describe, expect, it, vi } from 'vitest';
import { type Component, type ComponentContext, noopMetrics, silentLogger } from '../core/index.js';
import { MemoryStateStore } from '../core/testing/index.js';
import { MemoryBus } from '../core/testing/index.js';
import { Supervisor } from './supervisor.js';

function ctxFactory() {
  const bus = new MemoryBus();
  const state = new MemoryStateStore();
  return (name: string, fail: (err: unknown) => void): ComponentContext => ({
    bus,
    state,
    logger: silentLogger,
    metrics: noopMetrics,
    dataDir: '/tmp',
    fail,
    now: () => new Date(),
  });
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
        {
          kind: 'sink',
          name: 'stable',
          create: (): Component => ({
            name: 'stable',
            start: async () => void stable.push('start'),
            stop: async () => void stable.push('stop'),
            flush: async () => {},
          }),
        },
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
    const sup = new Supervisor([make('sink', 's'), make('detector', 'd'), make('collector', 'c')], {
      minBackoffMs: 5,
      maxBackoffMs: 5,
      context: ctxFactory(),
      logger: silentLogger,
      metrics: noopMetrics,
    });
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

describe('Supervisor: crash races', () => {
  it('a crash reported while start() is still pending restarts exactly one instance; no instance is leaked', async () => {
    const live = new Set<number>();
    let created = 0;
    const sup = new Supervisor(
      [
        {
          kind: 'collector',
          name: 'racy',
          create: (ctx: ComponentContext): Component => {
            const id = ++created;
            return {
              name: 'racy',
              start: async () => {
                live.add(id);
                if (id === 1) {
                  // background work dies before start() resolved, and reports twice
                  ctx.fail(new Error('early crash'));
                  await new Promise((r) => setTimeout(r, 5));
                  ctx.fail(new Error('early crash again'));
                }
              },
              stop: async () => void live.delete(id),
              flush: async () => {},
            };
          },
        },
      ],
      // The restart must come after the crashed start() settles (5 ms): pin the jitter near its 20 ms ceiling.
      { minBackoffMs: 20, maxBackoffMs: 20, random: () => 0.999, context: ctxFactory(), logger: silentLogger, metrics: noopMetrics },
    );
    await sup.start();
    // The first instance crashed: it must not be reported running.
    expect(sup.status()[0]!.state).not.toBe('running');
    await new Promise((r) => setTimeout(r, 150));
    expect(created).toBe(2);
    expect([...live]).toEqual([2]);
    expect(sup.status()[0]!.state).toBe('running');
    await sup.stop();
    expect(live.size).toBe(0);
  });

  it('stop() during a crash backoff waits for the crashed instance to stop and schedules no restart', async () => {
    let fail: ((e: unknown) => void) | undefined;
    let releaseStop!: () => void;
    let created = 0;
    let stopped = false;
    const sup = new Supervisor(
      [
        {
          kind: 'detector',
          name: 'slow-stop',
          create: (ctx: ComponentContext): Component => {
            created++;
            fail = ctx.fail;
            return {
              name: 'slow-stop',
              start: async () => {},
              stop: () =>
                new Promise<void>(
                  (r) =>
                    (releaseStop = () => {
                      stopped = true;
                      r();
                    }),
                ),
              flush: async () => {},
            };
          },
        },
      ],
      { minBackoffMs: 1, maxBackoffMs: 1, context: ctxFactory(), logger: silentLogger, metrics: noopMetrics },
    );
    await sup.start();
    fail!(new Error('died'));
    let supStopped = false;
    const s = sup.stop().then(() => (supStopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(supStopped).toBe(false); // the crashed instance is still stopping
    releaseStop();
    await s;
    expect(stopped).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(created).toBe(1);
  });
});

describe('Supervisor: restart backoff', () => {
  it('jitters each restart delay over [0, min(max, min * 2^restarts)) and caps it (core/retry.ts backoffDelay)', async () => {
    const delays: number[] = [];
    const logger = { ...silentLogger, error: (obj: object | string) => void delays.push((obj as { retryInMs: number }).retryInMs) };
    // The jitter source walks a fixed sequence, so each delay is a known fraction of its ceiling.
    const fractions = [0.5, 0.25, 0.999, 0.999, 0.999, 0];
    let i = 0;
    const sup = new Supervisor(
      [
        {
          kind: 'collector',
          name: 'always-fails',
          create: (): Component => ({
            name: 'always-fails',
            start: async () => {
              throw new Error('boom');
            },
            stop: async () => {},
            flush: async () => {},
          }),
        },
      ],
      { minBackoffMs: 4, maxBackoffMs: 20, random: () => fractions[i++ % fractions.length]!, context: ctxFactory(), logger, metrics: noopMetrics },
    );
    await sup.start();
    await vi.waitFor(() => expect(delays.length).toBeGreaterThanOrEqual(6), { timeout: 2_000 });
    await sup.stop();
    // Ceilings 4, 8, 16, then capped at 20: 0.5*4, 0.25*8, 0.999*16, 0.999*20, 0.999*20, 0.
    expect(delays.slice(0, 6)).toEqual([2, 2, 15, 19, 19, 0]);
  });

  it('never waits longer than the cap, however many restarts', async () => {
    const delays: number[] = [];
    const logger = { ...silentLogger, error: (obj: object | string) => void delays.push((obj as { retryInMs: number }).retryInMs) };
    let starts = 0;
    const sup = new Supervisor(
      [
        {
          kind: 'collector',
          name: 'always-fails',
          create: (): Component => ({
            name: 'always-fails',
            start: async () => {
              starts++;
              throw new Error('boom');
            },
            stop: async () => {},
            flush: async () => {},
          }),
        },
      ],
      { minBackoffMs: 1, maxBackoffMs: 3, context: ctxFactory(), logger, metrics: noopMetrics },
    );
    await sup.start();
    await vi.waitFor(() => expect(starts).toBeGreaterThanOrEqual(40), { timeout: 5_000 });
    await sup.stop();
    expect(delays.every((d) => d >= 0 && d < 3)).toBe(true);
    // Jittered: not every delay is the ceiling (a fixed formula would give 1, 2, 3, 3, 3, ...).
    expect(new Set(delays.slice(2)).size).toBeGreaterThan(1);
  });
});
