import { z } from 'zod';
import type { BusModule, CapabilityModule, SectionGroup } from '../../core/index.js';
import { duration, secretSchema } from '../../core/index.js';
import { busModules, capabilityModules } from '../registry.js';

/**
 * The daemon's configuration: one YAML file, then CHAINWATCH_* environment overrides, then
 * command-line flags (later wins). The daemon's own sections are declared here; `bus.<kind>` and
 * `collectors.*`, `detectors.*`, `sinks.*`, `keys.*` come from the registry's modules, so the whole file is
 * validated in one pass and every error names its full key path. An unknown key is an error
 * (typos must not silently disable a detector).
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const baseShape = {
  /** Where embedded state lives: bus log, cursors, outboxes, audit store. */
  dataDir: z.string().min(1).default('./.data'),
  /** Name of this daemon instance: on every log line, and what CLI commands report as the daemon. */
  instance: z.string().min(1).default('chainwatch'),
  http: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Base URL under which this daemon is reachable (links to audit records in alerts). */
      publicUrl: z.string().url().optional(),
      /**
       * A second, HTTPS listener: serves every route, including HTTPS-only ones (admission
       * webhooks) and mTLS-authenticated ones. Files are re-read when they change and on SIGHUP
       * (certificate rotation without a restart; an unusable new pair keeps the previous one).
       */
      tls: z
        .object({
          host: z.string().min(1).optional(),
          port: z.number().int().min(0).max(65535).default(8443),
          /** PEM certificate chain and private key files. */
          cert: z.string().min(1),
          key: z.string().min(1),
          /** PEM of the CA whose client certificates mTLS routes accept. */
          clientCa: z.string().min(1).optional(),
        })
        .strict()
        .optional(),
    })
    .strict()
    .default({ host: '127.0.0.1', port: 8080 }),
  log: z
    .object({ level: z.enum(LOG_LEVELS).default('info') })
    .strict()
    .default({ level: 'info' }),
  shutdown: z
    .object({
      /** SIGTERM/SIGINT: stop intake, drain and commit within this long, then exit anyway. */
      deadline: duration({ min: 100, max: 600_000 }).prefault('15s'),
    })
    .strict()
    .prefault({}),
  supervisor: z
    .object({
      /** Restart backoff of a crashed component: the n-th restart waits a random time below min(maxBackoff, minBackoff * 2^n), never less than minBackoff. */
      minBackoff: duration({ min: 1 }).prefault('500ms'),
      maxBackoff: duration({ min: 1 }).prefault('1m'),
    })
    .strict()
    .prefault({}),
  tracing: z
    .object({
      /**
       * OTLP/HTTP traces endpoint (e.g. http://127.0.0.1:4318/v1/traces); spans are only exported when
       * set. A secret: collectors' URLs often carry credentials (userinfo, `?api_key=`); logs show
       * only its origin and path.
       */
      otlpEndpoint: secretSchema.refine((s) => URL.canParse(s.reveal()), 'not a URL').optional(),
      /** Headers on every export request (OTLP authentication: `Authorization`, API keys), each a secret. */
      headers: z.record(z.string().min(1), secretSchema).optional(),
      serviceName: z.string().min(1).default('chainwatch'),
    })
    .strict()
    .default({ serviceName: 'chainwatch' }),
};

/** `bus`: `kind` plus one section per adapter (its module's schema). */
function busSchema(buses: readonly BusModule[]) {
  const kinds = buses.map((b) => b.kind) as [BusModule['kind'], ...BusModule['kind'][]];
  return z
    .object({ kind: z.enum(kinds).default('embedded'), ...Object.fromEntries(buses.map((b) => [b.kind, b.schema])) })
    .strict()
    .prefault({})
    .superRefine((b, ctx) => {
      if ((b as Record<string, unknown>)[b.kind] === undefined)
        ctx.addIssue({ code: 'custom', path: [b.kind], message: `bus.kind is ${b.kind} but bus.${b.kind} is missing` });
    });
}

/** `collectors` / `detectors` / `sinks` / `keys`: one key per module section of that group. */
function groupSchema(modules: readonly CapabilityModule[], group: SectionGroup) {
  const shape = Object.fromEntries(modules.flatMap((m) => (m.section?.group === group ? [[m.section.key, m.section.schema]] : [])));
  return z.object(shape).strict().prefault({});
}

export function buildConfigSchema(modules: readonly CapabilityModule[], buses: readonly BusModule[]) {
  return z
    .object({
      ...baseShape,
      bus: busSchema(buses),
      collectors: groupSchema(modules, 'collectors'),
      detectors: groupSchema(modules, 'detectors'),
      sinks: groupSchema(modules, 'sinks'),
      keys: groupSchema(modules, 'keys'),
    })
    .strict();
}

export const configSchema = buildConfigSchema(capabilityModules, busModules);

/**
 * The parsed config. The daemon's own sections are typed; module sections are read through
 * `sectionOf()` and typed by each module's own schema.
 */
type Base = z.output<z.ZodObject<typeof baseShape>>;
export type Config = Base & {
  bus: { kind: BusModule['kind'] } & Record<string, unknown>;
  collectors: Record<string, unknown>;
  detectors: Record<string, unknown>;
  sinks: Record<string, unknown>;
  keys: Record<string, unknown>;
};
export type ConfigInput = z.input<typeof configSchema>;

/** A module's parsed section, typed by the module's own schema (undefined for modules without one). */
export function sectionOf<S extends z.ZodType>(config: Config, m: CapabilityModule<S>): z.output<S> {
  return (m.section ? config[m.section.group][m.section.key] : undefined) as z.output<S>;
}

/** A bus adapter's parsed `bus.<kind>` section, typed by its module's schema. */
export function busSectionOf<S extends z.ZodType>(config: Config, m: BusModule<S>): z.output<S> {
  return config.bus[m.kind] as z.output<S>;
}
