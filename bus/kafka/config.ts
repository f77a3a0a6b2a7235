import { z } from 'zod';
import { duration, secretSchema } from '../../core/index.js';

/**
 * KafkaBus configuration. Secrets (SASL password, TLS private key) are Secret values: the daemon's
 * loader resolves their env/file references, and only the adapter reveals them, to the Kafka client.
 */
const retrySchema = z
  .object({
    maxAttempts: z.number().int().positive().default(8),
    baseDelay: duration({ min: 1 }).prefault('200ms'),
    maxDelay: duration({ min: 1 }).prefault('5s'),
    /** A publish that cannot reach the broker for this long fails with a retriable BusError. */
    deadline: duration({ min: 1 }).prefault('30s'),
  })
  .strict();

const saslSchema = z.discriminatedUnion('mechanism', [
  z.object({ mechanism: z.literal('plain'), username: z.string().min(1), password: secretSchema }).strict(),
  z.object({ mechanism: z.literal('scram-sha-256'), username: z.string().min(1), password: secretSchema }).strict(),
  z.object({ mechanism: z.literal('scram-sha-512'), username: z.string().min(1), password: secretSchema }).strict(),
]);

const sslSchema = z.union([
  z.boolean(),
  z
    .object({
      ca: z.string().optional(),
      cert: z.string().optional(),
      /** Client private key (PEM): a secret. */
      key: secretSchema.optional(),
      rejectUnauthorized: z.boolean().default(true),
      servername: z.string().optional(),
    })
    .strict(),
]);

export const kafkaBusConfigSchema = z
  .object({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'host:port')).min(1),
    clientId: z.string().min(1).default('chainwatch'),
    /** Prepended to every topic on the wire (isolates test runs or tenants); callers never see it. */
    topicPrefix: z
      .string()
      .regex(/^[a-zA-Z0-9._-]*$/)
      .default(''),
    /** Partitions of topics the bus creates; also the upper bound of useful group members. */
    partitions: z.number().int().positive().default(6),
    /** -1 = the broker's default.replication.factor. */
    replicationFactor: z.number().int().min(-1).default(-1),
    sasl: saslSchema.optional(),
    ssl: sslSchema.optional(),
    /** Retry policy of publishes and admin calls (core/retry.ts). */
    retry: retrySchema.prefault({}),
    connectionTimeout: duration({ min: 1 }).prefault('3s'),
    requestTimeout: duration({ min: 1 }).prefault('30s'),
    /**
     * Idempotent producers (connections) publishes are spread over, by record key: one key always
     * uses the same one, so its order holds; more than one overlaps produce requests, which an
     * idempotent producer sends one at a time per connection (docs/bus-kafka.md).
     */
    producers: z.number().int().min(1).max(8).default(1),
    /** Max records of one subscription being handled at once; the fetch loop waits beyond it. */
    maxInFlight: z.number().int().positive().default(512),
    /** Partitions whose batches one subscription handles concurrently. */
    partitionsConsumedConcurrently: z.number().int().positive().default(4),
    sessionTimeout: duration({ min: 1 }).prefault('30s'),
    heartbeatInterval: duration({ min: 1 }).prefault('3s'),
    /** stop() waits this long for in-flight handlers, then aborts them (they are redelivered). */
    drainTimeout: duration({ min: 1 }).prefault('30s'),
    /** Period of the background broker probe that keeps health() honest when the bus is idle. */
    healthProbe: duration({ min: 1 }).prefault('5s'),
    /** Level of the Kafka client's own events (broker connections, group changes) routed to the Logger port. */
    logLevel: z.enum(['error', 'warn', 'info', 'debug']).default('warn'),
  })
  .strict();

export type KafkaBusConfig = z.infer<typeof kafkaBusConfigSchema>;
export type KafkaBusConfigInput = z.input<typeof kafkaBusConfigSchema>;
