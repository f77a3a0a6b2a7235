import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * Observations about transparency logs themselves (Rekor v1, Rekor v2/tile logs, CT).
 * Collectors publish what they saw; the log-integrity detector turns them into findings.
 * subject = the log origin (checkpoint origin line, e.g. "rekor.sigstore.dev - 1193050959916656506").
 */
export const checkpointObservedSchema = z.object({
  origin: z.string().min(1),
  url: z.string().min(1),
  /** Which vantage point saw it: "primary", a mirror name, or a witness URL. */
  vantage: z.string().min(1).default('primary'),
  treeSize: z.number().int().nonnegative(),
  /** Base64 root hash as in the checkpoint. */
  rootHash: z.string().min(1),
  /** The signed note, verbatim. */
  note: z.string().min(1),
  /** Signature verified with the log key from the trusted root / config. */
  signatureVerified: z.boolean(),
  /** The previous verified size this one was proven consistent with (absent on first sight). */
  consistentWith: z.number().int().nonnegative().optional(),
  observedAt: z.iso.datetime({ offset: true }),
});

export type CheckpointObserved = z.output<typeof checkpointObservedSchema>;

export const CheckpointObservedEvent = defineEventType({
  type: 'dev.chainwatch.tlog.checkpoint.v1',
  family: 'tlog',
  description: 'A log checkpoint (signed tree head) as seen from one vantage point, with what was verified about it.',
  subject: 'log origin',
  schema: checkpointObservedSchema,
});

export const TLOG_ANOMALY_KINDS = [
  // security: the log itself misbehaves
  'signature_invalid',
  'consistency_failed',
  'tree_shrank',
  'inclusion_failed',
  'set_invalid',
  'entry_malformed',
  // infrastructure: we could not talk to the log properly
  'unreachable',
  'server_error',
  'rate_limited',
  'malformed_response',
] as const;
export type TlogAnomalyKind = (typeof TLOG_ANOMALY_KINDS)[number];

export const tlogAnomalySchema = z.object({
  origin: z.string().min(1),
  url: z.string().min(1),
  vantage: z.string().min(1).default('primary'),
  kind: z.enum(TLOG_ANOMALY_KINDS),
  /** Coded error from the collector (e.g. TLOG_CONSISTENCY_MISMATCH). */
  code: z.string().min(1),
  message: z.string().max(2000),
  /** Sizes, hashes, indices, HTTP status... never secrets. */
  evidence: z.record(z.string(), z.unknown()).default({}),
  observedAt: z.iso.datetime({ offset: true }),
});
export type TlogAnomaly = z.output<typeof tlogAnomalySchema>;

export const TlogAnomalyEvent = defineEventType({
  type: 'dev.chainwatch.tlog.anomaly.v1',
  family: 'tlog',
  description: 'Something wrong seen while following a log: bad signature, fork, shrink, failed proof, or infrastructure trouble.',
  subject: 'log origin',
  schema: tlogAnomalySchema,
});
