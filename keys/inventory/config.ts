import { z } from 'zod';
import { cronSchema, KEY_STATES, secretSchema } from '../../core/index.js';

export { KEY_STATES, type KeyState } from '../../core/index.js';

/**
 * `keys.inventory`: the signing keys and identities chainwatch should know about, from config,
 * plus the PKCS#11 tokens whose keys it lists. Each entry says who owns it and what it is for;
 * the inventory adds what chainwatch saw (the last time it signed, a revocation).
 */

const day = z.iso.date().or(z.iso.datetime({ offset: true }));
const common = {
  /** A short name for people (`keys show` also takes it). */
  name: z.string().min(1).max(128).optional(),
  owner: z.string().min(1).max(256).optional(),
  purpose: z.string().min(1).max(1000).optional(),
  /** Identities (SAN, email, URI) this key may sign for; documentation for responders. */
  allowedIdentities: z.array(z.string().min(1)).default([]),
  /** Artifacts (image globs, package names) this key may sign. */
  allowedArtifacts: z.array(z.string().min(1)).default([]),
  created: day.optional(),
  rotationDue: day.optional(),
  state: z.enum(KEY_STATES).default('active'),
};

const pem = (what: string) => z.string().refine((v) => v.includes('-----BEGIN '), { message: `a PEM ${what} (-----BEGIN ...)` });

export const configuredKeySchema = z.discriminatedUnion('kind', [
  /** A cosign public key (PEM inline, or a file). */
  z.strictObject({ kind: z.literal('cosign'), publicKey: pem('public key').optional(), publicKeyFile: z.string().min(1).optional(), ...common }),
  /** A key in a KMS, by reference (awskms://, gcpkms://, azurekms://, hashivault://): opaque, never resolved. */
  z.strictObject({ kind: z.literal('kms'), uri: z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/.+/, 'a KMS URI such as awskms:///alias/x'), ...common }),
  /** A keyless (Fulcio) identity: the OIDC issuer and the certificate SAN, exact. */
  z.strictObject({ kind: z.literal('fulcio'), issuer: z.string().min(1), subject: z.string().min(1), ...common }),
  /** A Notation / X.509 signing certificate (PEM inline, or a file); rotation due defaults to its notAfter. */
  z.strictObject({ kind: z.literal('x509'), certificate: pem('certificate').optional(), certificateFile: z.string().min(1).optional(), ...common }),
]);
export type ConfiguredKey = z.output<typeof configuredKeySchema>;

export const tokenSchema = z.strictObject({
  /** The PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: z.string().min(1),
  /** Token label. */
  token: z.string().min(1),
  pin: secretSchema,
  owner: z.string().min(1).max(256).optional(),
  purpose: z.string().min(1).max(1000).optional(),
});
export type TokenConfig = z.output<typeof tokenSchema>;

export const inventoryConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Last-seen and revocation records (SQLite), relative to the data directory unless absolute. */
  file: z.string().min(1).default('key-inventory.sqlite'),
  /** Bus consumer group of the recorder. */
  group: z.string().min(1).default('chainwatch-key-inventory'),
  keys: z.array(configuredKeySchema).max(10_000).default([]),
  tokens: z.array(tokenSchema).max(64).default([]),
  /**
   * When the daemon reads the keys again (tokens' keys and CKA_END_DATE change without a config
   * change) and publishes the rotation schedule if it changed (node-cron syntax). Also at start and
   * after a revocation.
   */
  rescan: cronSchema('*/30 * * * *'),
});
export type InventoryConfig = z.output<typeof inventoryConfigSchema>;
