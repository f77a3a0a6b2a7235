import { z } from 'zod';
import { duration } from '../../core/index.js';

export const embeddedBusConfigSchema = z
  .object({
    /** SQLite file; default `<dataDir>/bus.db`. */
    path: z.string().min(1).optional(),
    /** Partitions per topic: one key always lands in the same partition, so its events stay in order. */
    partitions: z.number().int().min(1).max(64).default(4),
    /** true: synchronous=FULL (survives power loss); false: NORMAL (survives process crashes). */
    fsync: z.boolean().default(false),
    /** How often consumers look for records appended by other processes. */
    pollInterval: duration({ min: 10, max: 60_000 }).prefault('250ms'),
    /** Records fetched per partition per round; bounds memory. */
    maxBatch: z.number().int().min(1).max(10_000).default(500),
    /**
     * Records of one partition a subscription handles at once: one key's records always in order,
     * other keys' meanwhile (as on Kafka). 1 handles a partition strictly in offset order.
     */
    maxInFlight: z.number().int().min(1).max(10_000).default(128),
    retention: z
      .object({
        /** Records older than this are deleted. */
        maxAge: duration({ min: 1 }).prefault('7d'),
        maxRecordsPerPartition: z.number().int().positive().default(1_000_000),
        checkInterval: duration({ min: 1 }).prefault('1m'),
        /**
         * Consumer groups whose uncommitted records retention never deletes, on the event-family
         * topics (the audit sink's group: nothing is deleted unaudited). The daemon adds the
         * configured audit sink's group itself.
         */
        keepUncommittedOf: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    /** Handler retries before dead-lettering. */
    handlerRetry: z
      .object({
        maxAttempts: z.number().int().min(1).default(3),
        baseDelay: duration().prefault('100ms'),
        maxDelay: duration().prefault('5s'),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type EmbeddedBusConfig = z.output<typeof embeddedBusConfigSchema>;
