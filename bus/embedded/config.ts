import { z } from 'zod';

export const embeddedBusConfigSchema = z
  .object({
    /** SQLite file; default `<dataDir>/bus.db`. */
    path: z.string().min(1).optional(),
    /** Partitions per topic: handlers run concurrently across partitions, in order within one. */
    partitions: z.number().int().min(1).max(64).default(4),
    /** true: synchronous=FULL (survives power loss); false: NORMAL (survives process crashes). */
    fsync: z.boolean().default(false),
    /** How often consumers look for records appended by other processes. */
    pollIntervalMs: z.number().int().min(10).max(60_000).default(250),
    /** Records fetched per partition per round; bounds memory. */
    maxBatch: z.number().int().min(1).max(10_000).default(500),
    retention: z
      .object({
        maxAgeHours: z.number().positive().default(168),
        maxRecordsPerPartition: z.number().int().positive().default(1_000_000),
        checkIntervalMs: z.number().int().positive().default(60_000),
      })
      .default({ maxAgeHours: 168, maxRecordsPerPartition: 1_000_000, checkIntervalMs: 60_000 }),
    /** Handler retries before dead-lettering. */
    handlerRetry: z
      .object({
        maxAttempts: z.number().int().min(1).default(3),
        baseDelayMs: z.number().int().min(0).default(100),
        maxDelayMs: z.number().int().min(0).default(5_000),
      })
      .default({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 5_000 }),
  })
  .strict();
export type EmbeddedBusConfig = z.output<typeof embeddedBusConfigSchema>;
