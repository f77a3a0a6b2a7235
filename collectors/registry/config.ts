import { z } from 'zod';
import { cronSchema, duration, type HttpAuth, secretSchema } from '../../core/index.js';

/**
 * `collectors.registry`: one optional block per webhook source (an absent one is not served:
 * its route answers 404) and the intake's windows. Every served source must name at least one
 * credential: bearer tokens, an HMAC-SHA256 secret, or client certificates (mTLS listener).
 */
const bearerSchema = z.array(z.strictObject({ token: secretSchema, principal: z.string().min(1).max(128) })).default([]);
const mtlsSchema = z.strictObject({ subjects: z.array(z.string().min(1)).min(1).optional() }).optional();

const sourceFields = {
  /** `Authorization: Bearer <token>` (distribution's `headers:` in notifications.endpoints; Harbor's "Auth Header"). */
  bearer: bearerSchema,
  /** An HMAC-SHA256 of the raw body (hex) in `hmacHeader` (GitHub: X-Hub-Signature-256 with prefix sha256=). */
  hmacSecret: secretSchema.optional(),
  /** Accept a client certificate the TLS listener verified (http.tls with a client CA). */
  mtls: mtlsSchema,
  /** The registry host clients address (lower case host[:port]) when the payload's is not it. */
  registry: z.string().min(1).max(255).optional(),
  /** Largest body accepted (413 above). */
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
};

const credentialed = (s: { bearer: unknown[]; hmacSecret?: unknown; mtls?: unknown }): boolean =>
  s.bearer.length > 0 || s.hmacSecret !== undefined || s.mtls !== undefined;
const needCredential = { message: 'give at least one of bearer, hmacSecret, mtls (webhooks are never public)' };

export const distributionSourceSchema = z.strictObject(sourceFields).refine(credentialed, needCredential);
export const harborSourceSchema = z.strictObject(sourceFields).refine(credentialed, needCredential);
/** GitHub always signs: the secret is required, bearer tokens are not something GitHub sends. */
export const githubSourceSchema = z.strictObject({ ...sourceFields, hmacSecret: secretSchema });

/** Repositories polled on a schedule (registries that send no webhooks). */
export const pollSchema = z.strictObject({
  /** node-cron expression ([second] minute hour day-of-month month day-of-week). */
  schedule: cronSchema('*/5 * * * *'),
  repositories: z
    .array(
      z.strictObject({
        /** Registry base URL, e.g. https://registry.example.com. */
        url: z.url({ protocol: /^https?$/ }),
        repository: z.string().regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, 'an OCI repository name'),
        username: z.string().min(1).optional(),
        password: secretSchema.optional(),
      }),
    )
    .min(1),
});
export type PollConfig = z.output<typeof pollSchema>;

export const registrySectionSchema = z
  .strictObject({
    distribution: distributionSourceSchema.optional(),
    harbor: harborSourceSchema.optional(),
    github: githubSourceSchema.optional(),
    poll: pollSchema.optional(),
    /** A delivery whose sender timestamp is further than this from now is refused (409 REGISTRY_REPLAYED). */
    replayWindow: duration({ min: 1000 }).default(24 * 3600_000),
    /** How long a delivery id is remembered: a repeat within it is answered without publishing again. */
    dedupeWindow: duration({ min: 60_000 }).default(7 * 24 * 3600_000),
  })
  .refine((s) => s.dedupeWindow >= s.replayWindow, {
    message: 'dedupeWindow must be at least replayWindow (else an old delivery is neither refused nor remembered)',
    path: ['dedupeWindow'],
  })
  .optional();
export type RegistrySection = NonNullable<z.output<typeof registrySectionSchema>>;
export type WebhookSource = 'distribution' | 'harbor' | 'github';
export type SourceConfig = z.output<typeof distributionSourceSchema>;

/** The router's authentication for one source: any of its configured credentials. */
export function authOf(source: WebhookSource, s: SourceConfig): HttpAuth {
  const of: HttpAuth[] = [];
  if (s.bearer.length > 0) of.push({ kind: 'bearer', tokens: s.bearer.map((b) => ({ token: b.token, principal: `${source}:${b.principal}` })) });
  if (s.hmacSecret) of.push({ kind: 'hmac-sha256', header: 'x-hub-signature-256', prefix: 'sha256=', secret: s.hmacSecret, principal: source });
  if (s.mtls) of.push({ kind: 'mtls', ...(s.mtls.subjects ? { subjects: s.mtls.subjects } : {}) });
  return of.length === 1 ? of[0]! : { kind: 'any', of };
}
