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
