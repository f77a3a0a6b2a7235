import { z } from 'zod';
import { duration, keyRefSchema, parseConfig, type RetryPolicy, secretSchema } from '../../core/index.js';

/**
 * `sinks.audit` section of the daemon config, parsed once with the whole config by the daemon; a bad value throws ConfigError
 * with one issue per bad key. The search engine password is a Secret (the daemon's loader
 * resolves its env/file reference); only the search client reveals it, on the wire.
 */

const sqliteBackend = z.strictObject({
  kind: z.literal('sqlite'),
  /** Default: <dataDir>/audit/audit.db */
  path: z.string().min(1).optional(),
});

const searchBackend = z.strictObject({
  kind: z.literal('opensearch'),
  url: z.string().url(),
  /** Which official client speaks to the cluster. `elasticsearch` is tested against OpenSearch only. */
  client: z.enum(['opensearch', 'elasticsearch']).default('opensearch'),
  indexPrefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase index name prefix')
    .default('chainwatch-audit'),
  username: z.string().min(1).optional(),
  password: secretSchema.optional(),
  /** Delete monthly indices older than this (ISM policy on OpenSearch), e.g. '400d'; absent keeps forever. */
  retention: duration({ min: 1 }).optional(),
  requestTimeout: duration({ min: 1 }).prefault('30s'),
});

const auditApiSchema = z
  .strictObject({
    public: z.boolean().default(false),
    auth: z.strictObject({ bearer: z.array(z.strictObject({ token: secretSchema, principal: z.string().min(1) })).default([]) }).prefault({}),
  })
  .refine((a) => !(a.public && a.auth.bearer.length > 0), { message: 'public: true and bearer tokens exclude each other', path: ['public'] })
  .prefault({});

/**
 * A witness that cosigns every checkpoint before it is stored (witness/, docs/audit.md): its own
 * key (not the checkpoint key) and its own state file, both best kept out of reach of whoever can
 * write the data directory.
 */
const witnessSchema = z.strictObject({
  /** Key name of its cosignatures. Default: chainwatch.witness/<instance>. */
  name: z
    .string()
    .regex(/^[^\s+]+$/, 'no spaces, no "+"')
    .optional(),
  /** Ed25519: `{ file: PATH }` (created on first use) or a key in a PKCS#11 token. */
  key: keyRefSchema,
  /** The witness's memory of what it cosigned (JSON, replaced atomically). */
  state: z.string().min(1),
});

export const auditConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Names this deployment in the checkpoint origin: chainwatch.audit/<instance>. */
  instance: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore')
    .default('default'),
  group: z.string().min(1).default('chainwatch-audit'),
  backend: z.discriminatedUnion('kind', [sqliteBackend, searchBackend]).default({ kind: 'sqlite' }),
  checkpointEvery: z.number().int().positive().default(1000),
  checkpointInterval: duration({ min: 1 }).prefault('1m'),
  maxBatch: z.number().int().positive().max(10_000).default(500),
  /**
   * The checkpoint signing key (a key reference: `{ file: PATH }`, or a key in a PKCS#11 token:
   * `{ pkcs11: { uri, module, pin } }`, docs/keys.md). Default: the Ed25519 key file
   * `<dataDir>/audit/checkpoint-key.pem`, created on first start. Its verifier key is written to
   * `<dataDir>/audit/checkpoint-key.vkey` either way.
   */
  key: keyRefSchema.optional(),
  /** Cosign each checkpoint with a second key before it is stored; absent: no witness. */
  witness: witnessSchema.optional(),
  /** Base of record links in alerts: `${publicUrl}/audit/records/<id>`. */
  publicUrl: z.string().url().optional(),
  /**
   * Who may read `GET /audit/records/<id>` (full payloads and proofs): bearer tokens, or everyone
   * with an explicit `public: true`. Default: nobody until tokens are configured.
   */
  api: auditApiSchema,
});

export type AuditConfigInput = z.input<typeof auditConfigSchema>;
export type AuditBackendConfig = z.output<typeof auditConfigSchema>['backend'];

export interface AuditConfig extends Omit<z.output<typeof auditConfigSchema>, 'checkpointInterval'> {
  checkpointIntervalMs: number;
  retry: RetryPolicy;
}

/**
 * What the `audit` commands read of the section: where the trail is and which key signs it, and
 * the signing cadence `audit verify` holds the trail to (absent: not checked).
 */
export type AuditCommandSection = Pick<AuditConfig, 'backend' | 'instance' | 'key' | 'witness'> &
  Partial<Pick<AuditConfig, 'checkpointEvery' | 'maxBatch'> & { checkpointInterval: number }>;

export function parseAuditConfig(input: unknown): AuditConfig {
  return auditConfigFrom(parseConfig(auditConfigSchema, input ?? {}, 'sinks.audit'));
}

/** The sink's settings from an already parsed section (the daemon parses the section once). */
export function auditConfigFrom(section: z.output<typeof auditConfigSchema>): AuditConfig {
  const { checkpointInterval, ...rest } = section;
  return { ...rest, checkpointIntervalMs: checkpointInterval, retry: { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000, deadlineMs: 60_000 } };
}
