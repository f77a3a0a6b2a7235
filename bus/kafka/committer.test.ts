import { describe, expect, it } from 'vitest';
import { BusError, silentLogger } from '../../core/index.js';
import { Committer, offsetCommitSender } from './committer.js';
import { HealthTracker } from './health.js';

const rec = (topic: string, partition: number, offset: bigint) => ({ topic, partition, offset, leaderEpoch: 0 });

describe('Committer with offsetCommitSender', () => {
  it('commits offset + 1 of the newest record per partition, one request at a time', async () => {
    const sent: { topic: string; partition: number; offset: bigint }[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const consumer = {
      commit: async (o: { offsets: { topic: string; partition: number; offset: bigint }[] }) => {
        sent.push(o.offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
        if (sent.length === 1) await first;
      },
    };
    const health = new HealthTracker();
    const c = new Committer(offsetCommitSender(consumer, health, silentLogger));
    c.add('t:0', rec('t', 0, 4n));
    // While the first request runs, later records of a partition replace earlier ones.
    c.add('t:1', rec('t', 1, 7n));
    c.add('t:1', rec('t', 1, 9n));
    c.add('t:0', rec('t', 0, 5n));
    release();
    await c.settled();
    expect(sent).toEqual([
      [{ topic: 't', partition: 0, offset: 5n }],
      [
        { topic: 't', partition: 1, offset: 10n },
        { topic: 't', partition: 0, offset: 6n },
      ],
    ]);
  });

  it('does not throw when a commit fails, and marks the bus unready when the failure is retriable', async () => {
    const health = new HealthTracker();
    health.markStarted();
    health.ok();
    const consumer = {
      commit: () => Promise.reject(new BusError('BUS_UNAVAILABLE', 'broker away', { retriable: true })),
    };
    const c = new Committer(offsetCommitSender(consumer, health, silentLogger));
    c.add('t:0', rec('t', 0, 1n));
    await expect(c.settled()).resolves.toBeUndefined();
    expect(health.snapshot()).toEqual({ ready: false, detail: 'commit failed: BUS_UNAVAILABLE' });
  });
});
