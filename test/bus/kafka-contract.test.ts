import { describe } from 'vitest';
import { runBusContract } from './contract.js';
import { kafkaSvc, makeKafkaBus, randomPrefix } from './kafka-support.js';

// The shared Bus contract against the real broker: each env is a fresh random topic prefix, and
// env.open() is a new KafkaBus (a new "process") on the same prefix.
describe.skipIf(kafkaSvc.skip)('KafkaBus contract', () => {
  runBusContract(
    'kafka',
    async () => {
      const topicPrefix = randomPrefix();
      return { open: async () => makeKafkaBus({ topicPrefix }) };
    },
    { deliveryTimeoutMs: 30_000 },
  );
});
