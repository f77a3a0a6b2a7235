import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * What the alert pipeline did with a notification, so the audit trail holds every delivery
 * (and every give-up) next to the finding it came from. Published before the outbox row is
 * marked done: a crash in between repeats the record (at-least-once), never loses it.
 */
export const deliveryRecordSchema = z.object({
  notificationId: z.string().min(1),
  sink: z.string().min(1),
  sinkKind: z.string().min(1),
  route: z.string().min(1),
  action: z.enum(['trigger', 'update', 'resolve']),
  dedupKey: z.string().min(1),
  findingId: z.string().min(1),
  outcome: z.enum(['delivered', 'dead_lettered']),
  attempts: z.number().int().nonnegative(),
  /** Ticket key/number, PagerDuty dedup key... as the sink returned it. */
  externalRef: z.string().optional(),
  /** Error code and secret-free reason when dead-lettered. */
  code: z.string().optional(),
  reason: z.string().max(2000).optional(),
  at: z.iso.datetime({ offset: true }),
});
export type DeliveryRecord = z.output<typeof deliveryRecordSchema>;

export const DeliveryRecordEvent = defineEventType({
  type: 'dev.chainwatch.audit.delivery.v1',
  family: 'audit',
  description: 'A notification delivered to (or given up on by) an alert or ticket sink: sink, route, action, outcome, attempts.',
  subject: 'the finding subject the notification is about',
  schema: deliveryRecordSchema,
});

/**
 * A signed checkpoint of the audit tree, published out of the store as it is signed so that
 * copies exist where the store's operators cannot reach (a SIEM, a ticket, a second chainwatch):
 * `chainwatch audit verify --checkpoint` checks the trail against saved ones. The audit sink does
 * not record these events itself (the checkpoint is already in its store; recording it would
 * grow the tree after every checkpoint).
 */
export const auditCheckpointSchema = z.object({
  origin: z.string().min(1),
  size: z.number().int().positive(),
  /** Hex SHA-256 root of the tree of `size` records. */
  rootHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The C2SP signed note, verbatim: verify it with the published verifier key. */
  checkpoint: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
});
export type AuditCheckpoint = z.output<typeof auditCheckpointSchema>;

export const AuditCheckpointEvent = defineEventType({
  type: 'dev.chainwatch.audit.checkpoint.v1',
  family: 'audit',
  description: 'A signed checkpoint of the audit trail (size, root, the signed note): keep copies to check the trail against later.',
  subject: 'the checkpoint origin, chainwatch.audit/<instance>',
  schema: auditCheckpointSchema,
});
