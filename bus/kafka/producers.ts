import { type MessageToProduce, ProduceAcks, Producer } from '@platformatic/kafka';
import { kafkaClientConfig } from './client-config.js';
import type { KafkaBusConfig } from './config.js';
import { partitionOf, producerPlacement } from './placement.js';

export type Message = MessageToProduce<string, Buffer, string, string>;

/**
 * The bus' idempotent producers. @platformatic/kafka keeps one produce request in flight per
 * connection for an idempotent producer (so its own resends cannot reorder), which bounds one
 * producer to one request per broker round trip. With `producers` > 1 each record key is bound to
 * one producer (murmur2 of the key, as for partitions), so one key's records still leave through
 * one connection in publish order, and the producers' requests overlap. Every producer has its own
 * producer id and sequence numbers; the broker deduplicates each one's resends.
 */
export class ProducerPool {
  readonly all: Producer<string, Buffer, string, string>[];

  constructor(config: KafkaBusConfig) {
    this.all = Array.from(
      { length: config.producers },
      (_, i) =>
        new Producer<string, Buffer, string, string>({
          ...kafkaClientConfig(config, i === 0 ? config.clientId : `${config.clientId}-p${i}`),
          // Idempotent implies acks=all and one request in flight per connection (the client
          // enforces both): a resend after a lost response is deduplicated, never reordered.
          idempotent: true,
          acks: ProduceAcks.ALL,
          ...producerPlacement,
        }),
    );
  }

  /** Fetches every producer's id up front (and proves the brokers answer). */
  async init(): Promise<void> {
    await Promise.all(this.all.map((p) => p.initIdempotentProducer({})));
  }

  /** The messages split by the producer their key is bound to; one group when there is one producer. */
  split(messages: Message[]): { producer: Producer<string, Buffer, string, string>; messages: Message[] }[] {
    const n = this.all.length;
    if (n === 1) return [{ producer: this.all[0]!, messages }];
    const parts: Message[][] = Array.from({ length: n }, () => []);
    for (const m of messages) parts[m.key === undefined ? 0 : partitionOf(m.key, n)]!.push(m);
    const out: { producer: Producer<string, Buffer, string, string>; messages: Message[] }[] = [];
    for (let i = 0; i < n; i++) if (parts[i]!.length) out.push({ producer: this.all[i]!, messages: parts[i]! });
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.all.map((p) => p.close()));
  }
}
