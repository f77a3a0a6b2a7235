import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * Key and identity lifecycle. A revocation says: from `revokedAt` on, signatures by this key or
 * identity must not be trusted; the key-misuse detector flags every later use as critical and the
 * cluster watch re-verifies what runs. Published by `chainwatch keys revoke` and by runbooks.
 * subject = "key:<keyId>" or "identity:<issuer>|<subject>".
 */
export const keyRevokedSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('key'),
    /** Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo (the keyId of registry signer records). */
    keyId: z.string().regex(/^[0-9a-f]{64}$/),
    revokedAt: z.iso.datetime({ offset: true }),
    reason: z.string().min(1).max(2000),
    /** Who revoked it (user name or approver list), never a credential. */
    actor: z.string().min(1).max(256),
    origin: z.enum(['cli', 'runbook', 'api']),
    runId: z.string().max(128).optional(),
  }),
  z.object({
    kind: z.literal('identity'),
    /** OIDC issuer URL, exact. */
    issuer: z.string().min(1).max(1024),
    /** Certificate SAN (email or URI), exact. */
    subject: z.string().min(1).max(1024),
    revokedAt: z.iso.datetime({ offset: true }),
    reason: z.string().min(1).max(2000),
    actor: z.string().min(1).max(256),
    origin: z.enum(['cli', 'runbook', 'api']),
    runId: z.string().max(128).optional(),
  }),
]);
export type KeyRevoked = z.output<typeof keyRevokedSchema>;

export const KeyRevokedEvent = defineEventType({
  type: 'dev.chainwatch.keys.revoked.v1',
  family: 'keys',
  description: 'A signing key or identity revoked as of a time (CLI or runbook): later uses are critical findings.',
  subject: 'key:<keyId> or identity:<issuer>|<subject>',
  schema: keyRevokedSchema,
});

export function revocationSubject(r: KeyRevoked): string {
  return r.kind === 'key' ? `key:${r.keyId}` : `identity:${r.issuer}|${r.subject}`;
}

/**
 * The keys of the inventory that have a rotation date, as the key-inventory recorder sees them
 * (config, PKCS#11 tokens' CKA_END_DATE, revocations): a whole snapshot each time, so a consumer
 * replaces what it held. Published at start and whenever it changes (a scan, a revocation). No key
 * material or credential: ids, names, owners, dates, where the key is. subject = "keys:inventory".
 */
/** States of a key in the inventory (configured, or revoked by a keys.revoked event). */
export const KEY_STATES = ['active', 'rotating', 'revoked', 'archived'] as const;
export type KeyState = (typeof KEY_STATES)[number];
const KEY_KINDS = ['cosign', 'kms', 'fulcio', 'x509', 'hsm'] as const;
export const keyRotationScheduleSchema = z.object({
  keys: z
    .array(
      z.object({
        /** keyId (SPKI SHA-256), `identity:<issuer>|<subject>`, `kms:<uri>` or `pkcs11:<token>/<label>`. */
        id: z.string().min(1).max(2048),
        /** Where it was read: `keys[<i>]` (config) or `token:<label>`. */
        origin: z.string().min(1).max(300),
        kind: z.enum(KEY_KINDS),
        name: z.string().max(256).optional(),
        owner: z.string().max(256).optional(),
        state: z.enum(KEY_STATES),
        /** A date (YYYY-MM-DD) or date-time with offset. */
        rotationDue: z.iso.date().or(z.iso.datetime({ offset: true })),
        location: z.string().max(2048).optional(),
        algorithm: z.string().max(64).optional(),
      }),
    )
    .max(10_000),
  /** Places that could not be read this time (coded): a consumer keeps what it held from them. */
  problems: z.array(z.object({ origin: z.string().min(1).max(300), code: z.string().min(1).max(64), message: z.string().max(2000) })).max(10_064),
});
export type KeyRotationSchedule = z.output<typeof keyRotationScheduleSchema>;

export const KeyRotationScheduleEvent = defineEventType({
  type: 'dev.chainwatch.keys.rotation_schedule.v1',
  family: 'keys',
  description: 'Snapshot of the inventory keys with a rotation date and their state; cert-expiry pages as the dates near.',
  subject: 'keys:inventory',
  schema: keyRotationScheduleSchema,
});
