import { z } from 'zod';
import { duration } from '../../core/index.js';
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
        embedded: embeddedBusConfigSchema.prefault({}),
        kafka: kafkaSectionSchema.optional(),
      })
      .strict()
      .prefault({})
      .refine((b) => b.kind !== 'kafka' || b.kafka !== undefined, { message: 'bus.kind is kafka but bus.kafka is missing', path: ['kafka'] }),
    shutdown: z
      .object({
        /** SIGTERM/SIGINT: stop intake, drain and commit within this long, then exit anyway. */
        deadline: duration({ min: 100, max: 600_000 }).prefault('15s'),
      })
      .strict()
      .prefault({}),
    supervisor: z
      .object({
        /** Restart backoff of a crashed component: full jitter over min(maxBackoff, minBackoff * 2^restarts). */
        minBackoff: duration({ min: 1 }).prefault('500ms'),
        maxBackoff: duration({ min: 1 }).prefault('1m'),
      })
      .strict()
      .prefault({}),
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
