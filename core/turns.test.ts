import { describe, expect, it } from 'vitest';
import { KeyedTurns } from './turns.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedTurns', () => {
  it('runs calls of one key one after another in call order, other keys meanwhile, and forgets settled keys', async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    const call = (key: string, name: string, ms: number) =>
      turns.run(key, async () => {
        log.push(`${name}+`);
        await tick(ms);
        log.push(`${name}-`);
        return name;
      });
    const results = await Promise.all([call('a', 'a1', 30), call('a', 'a2', 1), call('b', 'b1', 5)]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a2+')).toBeGreaterThan(log.indexOf('a1-')); // a2 waited for a1
    expect(log.indexOf('b1-')).toBeLessThan(log.indexOf('a1-')); // b1 did not
    await tick(0);
    expect(turns.size).toBe(0);
  });

  it('a rejected call rejects its caller and does not stop the next call of its key', async () => {
    const turns = new KeyedTurns();
    const failed = turns.run('k', () => Promise.reject(new Error('boom')));
    const next = turns.run('k', async () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });
});
