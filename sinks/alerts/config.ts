import { z } from 'zod';
import { durationSchema, FINDING_CATEGORIES, SEVERITIES } from '../../core/index.js';

/**
 * Configuration of the alert pipeline (routing, dedup, aggregation, throttling, outbox delivery).
 * Parsed once at start; a bad value throws ConfigError (core/config.ts parseConfig) so the daemon
 * fails with an actionable message instead of misrouting alerts at 3 a.m.
 */

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

const regexString = z
  .string()
  .min(1)
  .refine(
    (s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

export const routeMatchSchema = z
  .object({
    /** Minimum severity (inclusive): "high" matches high and critical. */
    severity: z.enum(SEVERITIES).optional(),
    category: z
      .union([z.enum(FINDING_CATEGORIES), z.array(z.enum(FINDING_CATEGORIES)).min(1)])
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .optional(),
    /** Rule names; a trailing `*` matches a prefix ("tlog.*"). */
    rule: stringOrList.optional(),
    tenant: stringOrList.optional(),
    /** Regular expressions (unanchored; anchor with ^...$ yourself). */
    source: regexString.optional(),
    subject: regexString.optional(),
    /** Every listed label must be present with exactly this value. */
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const throttleSchema = z
  .object({
    /** Notifications (trigger/update) a route may emit per interval; excess is held and aggregated. */
    max: z.number().int().positive(),
    interval: durationSchema,
  })
  .strict();

export const routeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'lowercase letters, digits, _ . - (max 64)'),
    match: routeMatchSchema.default({}),
    /** Sink instance names (AlertSink.name) this route notifies. Empty: matched but muted. */
    sinks: z.array(z.string().min(1)),
    /** false (default): the first matching route wins. true: keep evaluating later routes too. */
    continue: z.boolean().default(false),
    /** Repeats of a dedupKey within this window are not sent (counted and aggregated instead). */
    dedupWindow: durationSchema.optional(),
    throttle: throttleSchema.optional(),
  })
  .strict();

export const deliverySchema = z
  .object({
    /**
     * Attempts per notification across restarts before it is dead-lettered. A backstop: the
     * main bound is maxAge, so an outage of a few hours does not dead-letter what is queued.
     */
    maxAttempts: z.number().int().positive().default(10_000),
    /** A notification older than this is dead-lettered instead of retried (replayable from the CLI). */
    maxAge: durationSchema.prefault('1d'),
    baseDelay: durationSchema.prefault('500ms'),
    maxDelay: durationSchema.prefault('1m'),
    /** Per-attempt timeout of one sink call. */
    timeout: durationSchema.prefault('15s'),
    /** How long an idle worker sleeps before looking at its outbox again (it is also woken on enqueue). */
    pollInterval: durationSchema.prefault('1s'),
  })
  .strict();

export const alertPipelineConfigSchema = z
  .object({
    /** Consumer group on the findings topic; give each pipeline instance its own. */
    group: z.string().min(1).default('chainwatch-alerts'),
    /** Evaluated in order. Omitted: the two default routes (security, infrastructure), see defaultRoutes(). */
    routes: z
      .array(routeSchema)
      .superRefine((routes, ctx) => {
        // Dedup, throttle and held state are kept per route name: a second route with the same
        // name would find the first one's state and suppress its own notifications.
        const seen = new Set<string>();
        routes.forEach((r, i) => {
          if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate route name ${JSON.stringify(r.name)}` });
          seen.add(r.name);
        });
      })
      .optional(),
    /** Receivers of the default routes; each defaults to every configured sink. */
    defaultReceivers: z
      .object({ security: z.array(z.string().min(1)).optional(), infrastructure: z.array(z.string().min(1)).optional() })
      .strict()
      .default({}),
    dedupWindow: durationSchema.prefault('1h'),
    /** How often held (throttled) and aggregated repeats are checked for a due notification. */
    sweepInterval: durationSchema.prefault('5s'),
    /** Audit record link template; {findingId} and {dedupKey} are substituted (URL-encoded). */
    auditUrl: z.string().url().optional(),
    /** Delivered outbox rows and closed dedup state are pruned after this. */
    retention: durationSchema.prefault('7d'),
    delivery: deliverySchema.prefault({}),
    /** SQLite file name under ctx.dataDir. */
    file: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('alerts.sqlite'),
  })
  .strict();

export type RouteMatchConfig = z.output<typeof routeMatchSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type DeliveryConfig = z.output<typeof deliverySchema>;
export type AlertPipelineConfig = z.output<typeof alertPipelineConfigSchema>;
export type AlertPipelineConfigInput = z.input<typeof alertPipelineConfigSchema>;

/** Security findings and infrastructure trouble go to separate routes and receivers by default. */
export function defaultRoutes(cfg: Pick<AlertPipelineConfig, 'defaultReceivers'>, sinkNames: readonly string[]): RouteConfig[] {
  return [
    { name: 'security', match: { category: ['security'] }, sinks: cfg.defaultReceivers.security ?? [...sinkNames], continue: false },
    { name: 'infrastructure', match: { category: ['infrastructure'] }, sinks: cfg.defaultReceivers.infrastructure ?? [...sinkNames], continue: false },
  ];
}
