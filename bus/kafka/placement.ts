import { compatibilityPartitioner, stringSerializer } from '@platformatic/kafka';

/**
 * How the producer turns a record key into a partition: the key as UTF-8 bytes, murmur2 masked to
 * 31 bits, modulo the partition count — what kafkajs' DefaultPartitioner and the Java client do.
 * (@platformatic/kafka's own default uses the unsigned hash, which places many keys elsewhere:
 * events of one subject written before and after the switch from kafkajs would then sit on two
 * partitions, and their order would be lost.)
 */
export const producerPlacement = {
  partitioner: compatibilityPartitioner,
  serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
} as const;

/** The partition of `key` in a topic of `partitions` partitions, as the producer computes it. */
export function partitionOf(key: string, partitions: number): number {
  const bytes = producerPlacement.serializers.key(key);
  return producerPlacement.partitioner({ topic: '' }, bytes) % partitions;
}
