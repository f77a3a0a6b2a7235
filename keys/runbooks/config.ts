import { z } from 'zod';
import { secretSchema } from '../../core/index.js';

/**
 * `keys.runbooks`: where the runbook files are, who may approve, and the PKCS#11 token whose keys
 * the runbooks disable and generate. Absent section: off (no component, the commands still dry-run).
 */
const pem = z.string().refine((v) => v.includes('-----BEGIN '), { message: 'a PEM public key (-----BEGIN PUBLIC KEY-----)' });

export const approverSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/),
    publicKey: pem.optional(),
    publicKeyFile: z.string().min(1).optional(),
  })
  .refine((a) => (a.publicKey === undefined) !== (a.publicKeyFile === undefined), { message: 'give exactly one of publicKey and publicKeyFile' });

export const runbooksConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Directory of <name>.yaml runbooks (the shipped ones: config/runbooks). */
  dir: z.string().min(1),
  approvers: z.array(approverSchema).max(64).default([]),
  /** The token holding the keys runbooks disable (hsm-disable-key) and generate (rotate). */
  hsm: z.strictObject({ module: z.string().min(1), token: z.string().min(1), pin: secretSchema }).optional(),
  /** The HTTP API (docs/runbooks.md): bearer tokens, one role each. No tokens: no routes. */
  api: z
    .strictObject({
      tokens: z
        .array(z.strictObject({ token: secretSchema, principal: z.string().min(1).max(128), role: z.enum(['analyst', 'responder', 'approver', 'admin']) }))
        .max(256)
        .default([]),
    })
    .prefault({}),
  /** Bus consumer group of the runbook component. */
  group: z.string().min(1).default('chainwatch-runbooks'),
  /** CloudEvent source of what runs publish. */
  source: z.string().min(1).default('chainwatch://keys/runbooks'),
  /**
   * Fault drills only: the daemon kills itself (SIGKILL) when a run reaches this point of this
   * step, to prove a run resumes without repeating a side effect. `config check` warns.
   */
  crashAt: z.strictObject({ step: z.string().min(1), phase: z.enum(['before-effect', 'after-effect']) }).optional(),
});
export type RunbooksConfig = z.output<typeof runbooksConfigSchema>;
