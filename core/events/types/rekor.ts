import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * A transparency-log entry the Rekor collector fetched AND verified (inclusion proof against a
 * verified checkpoint; SET when present). Nothing unverified is ever published with this type.
 * subject = the first artifact digest ("sha256:<hex>") when the entry names one, else the entry UUID.
 */
export const digestSchema = z.object({ algorithm: z.string().min(1), value: z.string().min(1) });

/**
 * Who signed a logged artifact, as the entry's certificate or key shows it (not a key of ours:
 * chainwatch's own signing keys are the Signer port, core/ports/signer.ts).
 */
export const signerIdentitySchema = z.object({
  kind: z.enum(['certificate', 'publicKey', 'unknown']),
  /** SHA-256 of the DER certificate or SPKI, hex. */
  fingerprintSha256: z.string().optional(),
  /** Certificate SubjectAlternativeName (email or URI), when a certificate signed. */
  san: z.string().optional(),
  /** OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.1 or .8). */
  issuer: z.string().optional(),
  /** Fulcio extensions 1.3.6.1.4.1.57264.1.* by OID, decoded to strings. */
  extensions: z.record(z.string(), z.string()).default({}),
  /** GitHub workflow claims from the Fulcio extensions, when present. */
  github: z
    .object({
      workflowRef: z.string().optional(),
      repository: z.string().optional(),
      ref: z.string().optional(),
      sha: z.string().optional(),
      trigger: z.string().optional(),
      workflowName: z.string().optional(),
      runnerEnvironment: z.string().optional(),
      runInvocationUri: z.string().optional(),
    })
    .optional(),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
});
export type SignerIdentity = z.output<typeof signerIdentitySchema>;

export const rekorEntrySchema = z.object({
  log: z.object({ origin: z.string().min(1), url: z.string().min(1), logId: z.string().optional() }),
  uuid: z.string().min(1),
  logIndex: z.number().int().nonnegative(),
  /** Index within the Trillian tree / tile log (differs from logIndex on sharded Rekor v1). */
  treeIndex: z.number().int().nonnegative(),
  integratedTime: z.string().optional(),
  kind: z.string().min(1),
  apiVersion: z.string().optional(),
  /** Parsed body for hashedrekord, dsse, intoto, rekord; other kinds keep `raw`. */
  body: z.record(z.string(), z.unknown()),
  /**
   * Deprecated, no longer sent: the base64 body as logged. It doubled every event's size (the body
   * is in `body` already) and its encoding cost more than verifying the entry's hashes (issue 9).
   * Optional from the start, so dropping it is not a breaking change of v1; kept in the schema so
   * events recorded before still validate. The logged bytes are `body` (`body.raw` for other
   * kinds) as canonical JSON (a body that is not canonical is also reported as a
   * REKOR_ENTRY_NOT_CANONICAL anomaly), or the log's own copy at `log.url` by `uuid`.
   */
  bodyB64: z
    .string()
    .optional()
    .describe('Deprecated, no longer sent: the base64 body as logged (the body is in `body`; canonical JSON of it is the logged bytes).'),
  artifact: z.object({ digests: z.array(digestSchema).default([]) }).default({ digests: [] }),
  signers: z.array(signerIdentitySchema).default([]),
  verification: z.object({
    inclusion: z.literal(true),
    /** true = SET verified; null = the log gives none (tile logs). */
    set: z.boolean().nullable(),
    checkpoint: z.object({ size: z.number().int().nonnegative(), rootHash: z.string().min(1) }),
  }),
});
export type RekorEntry = z.output<typeof rekorEntrySchema>;

export const RekorEntryEvent = defineEventType({
  type: 'dev.chainwatch.rekor.entry.v1',
  family: 'rekor',
  description: 'A verified Rekor entry: kind, parsed body, artifact digests, signer identities (Fulcio SAN, issuer, GitHub claims).',
  subject: 'first artifact digest (sha256:<hex>), else the entry UUID',
  schema: rekorEntrySchema,
});
