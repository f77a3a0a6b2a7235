import { defaultPartitioner } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { partitionOf } from './placement.js';

/**
 * Expected partitions were computed with kafkajs 2.2.4's Partitioners.DefaultPartitioner (the bus'
 * partitioner before the switch) for these keys and partition counts, on 2026-12-05:
 *   const p = Partitioners.DefaultPartitioner();
 *   p({ topic: 't', partitionMetadata: [...Array(n)].map((_, i) => ({ partitionId: i, leader: 1 })), message: { key } })
 * Same partition for the same key means existing topics keep per-key order across the switch.
 */
const KEYS = [
  '',
  'a',
  'probe-0',
  's1',
  'pkg:npm/left-pad@1.3.0',
  'urn:uuid:0b9c6f0e-8d1a-4c53-9f7c-2a1b3c4d5e6f',
  'rekor/24296fb24b8ad77a',
  'ünïcødé-ключ',
  'x'.repeat(100),
];
const KAFKAJS: Record<number, number[]> = {
  1: [0, 0, 0, 0, 0, 0, 0, 0, 0],
  3: [0, 1, 1, 0, 0, 2, 0, 2, 1],
  6: [3, 4, 4, 3, 0, 2, 0, 2, 4],
  12: [9, 4, 10, 9, 0, 8, 0, 8, 4],
};

describe('producer key placement', () => {
  it('puts every key on the partition kafkajs put it on', () => {
    for (const [n, expected] of Object.entries(KAFKAJS)) expect(KEYS.map((k) => partitionOf(k, Number(n)))).toEqual(expected);
  });

  it("differs from the client's own default partitioner (why the compatibility one is configured)", () => {
    const unsigned = KEYS.map((k) => defaultPartitioner({ topic: '' }, Buffer.from(k)) % 12);
    expect(unsigned).not.toEqual(KAFKAJS[12]);
  });
});
