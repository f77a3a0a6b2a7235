import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * Responder runbooks (keys/runbooks, docs/runbooks.md). A run is requested (CLI or API), approved
 * by signatures of approvers' own keys, and executed step by step by the daemon's runbook
 * component; each step's outcome is an event, so the audit trail holds every step. All travel on
 * the `keys` topic so that one run's request, approvals and outcomes stay ordered.
 * subject = "runbook:<runId>".
 */
const runId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
const parameters = z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/), z.string().max(2000));

export const runbookRequestedSchema = z.object({
  runId,
  /** Runbook name (its file name without .yaml). */
  runbook: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  parameters,
  /** Who asked (user name, API caller), never a credential. */
  requestedBy: z.string().min(1).max(256),
  origin: z.enum(['cli', 'api']),
});
export type RunbookRequested = z.output<typeof runbookRequestedSchema>;

export const RunbookRequestedEvent = defineEventType({
  type: 'dev.chainwatch.runbook.requested.v1',
  family: 'keys',
  description: 'A responder asked the daemon to run a runbook (revoke-key, rotate-key) with parameters.',
  subject: 'runbook:<runId>',
  schema: runbookRequestedSchema,
});

/**
 * One approval: the approver's signature over the canonical JSON (RFC 8785) of
 * {purpose: "chainwatch.runbook.approval.v1", runId, runbook, parameters, expiresAt}. The runbook component verifies it against the
 * configured approver public keys; the event itself proves nothing until verified.
 */
export const runbookApprovalSchema = z.object({
  runId,
  runbook: z.string().min(1).max(64),
  parameters,
  /** When the approval stops counting. */
  expiresAt: z.iso.datetime({ offset: true }),
  /** keyId (hex SHA-256 of the DER SPKI) of the approver's key. */
  approverKeyId: z.string().regex(/^[0-9a-f]{64}$/),
  /** The signature, base64 (Ed25519 raw, ECDSA DER). */
  signature: z.string().min(1).max(1024),
});
export type RunbookApproval = z.output<typeof runbookApprovalSchema>;

export const RunbookApprovalEvent = defineEventType({
  type: 'dev.chainwatch.runbook.approval.v1',
  family: 'keys',
  description: "An approver's signature over a run's id, runbook, parameters and an expiry (verified by the runbook component).",
  subject: 'runbook:<runId>',
  schema: runbookApprovalSchema,
});

export const RUNBOOK_STEP_STATUSES = ['started', 'waiting', 'done', 'failed', 'skipped'] as const;

export const runbookStepSchema = z.object({
  runId,
  runbook: z.string().min(1).max(64),
  /** Step id from the runbook file; "run" for the run as a whole. */
  step: z.string().min(1).max(64),
  /** Step type (require-approvals, hsm-disable-key, ...); "run" for the run as a whole. */
  stepType: z.string().min(1).max(64),
  status: z.enum(RUNBOOK_STEP_STATUSES),
  /** The step's effect had already been applied when it ran (a resumed run): nothing was done twice. */
  alreadyApplied: z.boolean().default(false),
  /** What the step did or found (keyIds, counts, approvers): never secrets. */
  output: z.record(z.string(), z.unknown()).default({}),
  error: z.object({ code: z.string().min(1).max(64), message: z.string().max(2000) }).optional(),
  at: z.iso.datetime({ offset: true }),
});
export type RunbookStep = z.output<typeof runbookStepSchema>;

export const RunbookStepEvent = defineEventType({
  type: 'dev.chainwatch.runbook.step.v1',
  family: 'keys',
  description: 'A runbook step\'s outcome (started, waiting, done, failed, skipped), or the run\'s own (step "run").',
  subject: 'runbook:<runId>',
  schema: runbookStepSchema,
});
