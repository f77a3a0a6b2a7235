import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBusConfigSchema } from './config.js';
import { type Message, ProducerPool } from './producers.js';

const pools: ProducerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
function pool(producers: number): ProducerPool {
  const p = new ProducerPool(kafkaBusConfigSchema.parse({ brokers: ['127.0.0.1:1'], producers }));
  pools.push(p);
  return p;
}
const msg = (key: string, seq: number): Message => ({ topic: 't', key, value: Buffer.from(String(seq)) });

describe('ProducerPool.split', () => {
  it('with one producer hands the messages over as they are', () => {
    const p = pool(1);
    const messages = [msg('a', 0), msg('b', 1)];
    const parts = p.split(messages);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.messages).toBe(messages);
    expect(parts[0]!.producer).toBe(p.all[0]);
  });

  it('binds every key to one producer across calls and keeps publish order within each share', () => {
    const p = pool(3);
    const owner = new Map<string, unknown>();
    for (let call = 0; call < 5; call++) {
      const messages = Array.from({ length: 60 }, (_, i) => msg(`k${i % 20}`, call * 60 + i));
      const parts = p.split(messages);
      expect(parts.reduce((n, s) => n + s.messages.length, 0)).toBe(60);
      for (const { producer, messages: share } of parts) {
        const seqs = share.map((m) => Number(m.value!.toString()));
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        for (const m of share) {
          expect(owner.get(m.key!) ?? producer).toBe(producer);
          owner.set(m.key!, producer);
        }
      }
    }
    // 20 keys over 3 producers: every producer gets some (murmur2 spreads them).
    expect(new Set(owner.values()).size).toBe(3);
  });
});
