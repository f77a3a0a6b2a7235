import { describe, expect, it } from 'vitest';
import { HealthTracker } from './health.js';

describe('HealthTracker', () => {
  it('is ready only between start and stop, while the last broker interaction succeeded', () => {
    const h = new HealthTracker();
    h.ok();
    expect(h.snapshot()).toEqual({ ready: false, detail: 'not started' });
    h.markStarted();
    expect(h.snapshot()).toEqual({ ready: true, detail: 'ok' });
    h.failed('probe: BUS_UNAVAILABLE');
    expect(h.snapshot()).toEqual({ ready: false, detail: 'probe: BUS_UNAVAILABLE' });
    h.ok();
    expect(h.snapshot().ready).toBe(true);
    h.markStopped();
    expect(h.snapshot()).toEqual({ ready: false, detail: 'stopped' });
  });

  it('keeps failure details short', () => {
    const h = new HealthTracker();
    h.markStarted();
    h.failed('x'.repeat(1000));
    expect(h.snapshot().detail).toHaveLength(300);
  });
});
