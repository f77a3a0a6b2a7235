import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * Findings are what detectors conclude, as opposed to observations collectors make.
 * `category` keeps infrastructure trouble (a log unreachable, rate limited) apart from security
 * findings (a fork, an unexpected signer), so the two can be routed and paged differently.
 */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export const FINDING_CATEGORIES = ['security', 'infrastructure'] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];

export const findingSchema = z.object({
  /** Stable id of this occurrence. */
  findingId: z.string().min(1),
  /** Name of the rule/check that fired, e.g. "tlog.consistency_failed". */
  rule: z.string().min(1),
  detector: z.string().min(1),
  severity: z.enum(SEVERITIES),
  category: z.enum(FINDING_CATEGORIES),
  /** `firing` raises or repeats; `resolved` clears the condition with the same dedupKey. */
  status: z.enum(['firing', 'resolved']).default('firing'),
  /** Occurrences with the same key are one alert (dedup, aggregation, ticket identity). */
  dedupKey: z.string().min(1).max(512),
  /** One human sentence for the alert title. */
  summary: z.string().min(1).max(1000),
  description: z.string().max(20_000).optional(),
  /** What was observed: log URL, artifact digest, identity, cluster object... */
  subject: z.string().min(1),
  /** Where the observation came from (collector source URI). */
  source: z.string().min(1).optional(),
  tenant: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).default({}),
  /** Facts that support the finding (hashes, proofs, sizes, identities). Never secrets. */
  evidence: z.record(z.string(), z.unknown()).default({}),
  links: z.array(z.object({ title: z.string().min(1), url: z.string().min(1) })).default([]),
  /** Ids of the events this finding was derived from. */
  causedBy: z.array(z.string()).default([]),
  observedAt: z.iso.datetime({ offset: true }),
});
export type Finding = z.output<typeof findingSchema>;
export type FindingInput = z.input<typeof findingSchema>;

export const FindingEvent = defineEventType({
  type: 'dev.chainwatch.finding.v1',
  family: 'findings',
  description: 'A detector finding: severity, category (security vs infrastructure), dedup key, evidence, summary, links.',
  subject: 'what the finding is about (log origin, artifact digest, identity)',
  schema: findingSchema,
});
