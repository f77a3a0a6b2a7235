import { z } from 'zod';
import { embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import { componentSections } from '../components.js';
import { kafkaSectionSchema } from '../kafka-config.js';

/**
 * The daemon's configuration: one YAML file, then CHAINWATCH_* environment overrides, then
 * command-line flags (later wins). Every key is validated here; an unknown key is an error
 * (typos must not silently disable a detector).
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const configSchema = z
  .object({
    /** Where embedded state lives: bus log, cursors, outboxes, audit store. */
    dataDir: z.string().min(1).default('./.data'),
    /** Name of this daemon instance (metrics, audit origin, Kafka client id). */
    instance: z.string().min(1).default('chainwatch'),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Base URL under which this daemon is reachable (links to audit records in alerts). */
        publicUrl: z.string().url().optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080 }),
    log: z
      .object({ level: z.enum(LOG_LEVELS).default('info') })
      .strict()
      .default({ level: 'info' }),
    bus: z
      .object({
        kind: z.enum(['embedded', 'kafka']).default('embedded'),
        embedded: embeddedBusConfigSchema.default(embeddedBusConfigSchema.parse({})),
        kafka: kafkaSectionSchema.optional(),
      })
      .strict()
      .default({ kind: 'embedded', embedded: embeddedBusConfigSchema.parse({}) })
      .refine((b) => b.kind !== 'kafka' || b.kafka !== undefined, { message: 'bus.kind is kafka but bus.kafka is missing', path: ['kafka'] }),
    shutdown: z
      .object({ deadlineMs: z.number().int().min(100).max(600_000).default(15_000) })
      .strict()
      .default({ deadlineMs: 15_000 }),
    supervisor: z
      .object({
        minBackoffMs: z.number().int().min(1).default(500),
        maxBackoffMs: z.number().int().min(1).default(60_000),
      })
      .strict()
      .default({ minBackoffMs: 500, maxBackoffMs: 60_000 }),
    tracing: z
      .object({
        /** OTLP/HTTP traces endpoint (e.g. http://127.0.0.1:4318/v1/traces); spans are only exported when set. */
        otlpEndpoint: z.string().url().optional(),
        serviceName: z.string().min(1).default('chainwatch'),
      })
      .strict()
      .default({ serviceName: 'chainwatch' }),
    ...componentSections,
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
