import { describe, expect, it } from 'vitest';
import { Doorbell } from './doorbell.js';

describe('Doorbell', () => {
  it('wakes a waiter early, remembers a ring with no waiter, and otherwise times out', async () => {
    const d = new Doorbell();
    let t = performance.now();
    setTimeout(() => d.ring(), 20);
    await d.wait(5_000);
    expect(performance.now() - t).toBeLessThan(1_000);
    d.ring();
    t = performance.now();
    await d.wait(5_000);
    expect(performance.now() - t).toBeLessThan(50);
    t = performance.now();
    await d.wait(60);
    expect(performance.now() - t).toBeGreaterThanOrEqual(50);
  });
});
