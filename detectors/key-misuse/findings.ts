import type { CloudEvent, Finding } from '../../core/index.js';
import { dedupKey, findingEvent } from '../shared/index.js';
import type { KeyMisuseConfig } from './config.js';
import type { PolicyConclusion } from './policy.js';
import type { Conclusion } from './rules.js';
import type { FiredRecord } from './state.js';

/**
 * Findings of the key-misuse detector. Ids derive from the causing event and the dedup key, so a
 * redelivered event (or a revocation re-checking a use already judged live) repeats the same ids.
 */
export const DETECTOR = 'key-misuse';

/** What a firing finding needs from a rule's conclusion (key rules are always security findings). */
type Firing = Pick<PolicyConclusion, 'rule' | 'severity' | 'dedup' | 'summary' | 'description' | 'evidence'> & { category?: Finding['category'] };

function firingFinding(cfg: KeyMisuseConfig, c: Firing, subject: string, causedBy: string, observedAt: Date): CloudEvent<Finding> {
  return findingEvent(
    {
      detector: DETECTOR,
      rule: c.rule,
      severity: c.severity,
      category: c.category ?? 'security',
      dedupKey: dedupKey(c.rule, ...c.dedup),
      summary: c.summary,
      description: c.description,
      subject,
      evidence: c.evidence,
      causedBy: [causedBy],
      observedAt: observedAt.toISOString(),
    },
    [causedBy],
    cfg.source,
  );
}

export function keyFinding(cfg: KeyMisuseConfig, c: Conclusion, subject: string, causedBy: string, observedAt: Date): CloudEvent<Finding> {
  return firingFinding(cfg, { ...c, category: 'security' }, subject, causedBy, observedAt);
}

export function policyFinding(cfg: KeyMisuseConfig, c: PolicyConclusion, subject: string, causedBy: string, observedAt: Date): CloudEvent<Finding> {
  return firingFinding(cfg, c, subject, causedBy, observedAt);
}

/** Clears what fired for a digest once a later check no longer shows it. */
export function resolvedFinding(cfg: KeyMisuseConfig, key: string, f: FiredRecord, causedBy: string, observedAt: Date): CloudEvent<Finding> {
  return findingEvent(
    {
      detector: DETECTOR,
      rule: f.rule,
      severity: f.severity,
      category: f.category,
      status: 'resolved',
      dedupKey: key,
      summary: `Resolved: ${f.summary}`,
      description: 'A later check of the same digest no longer shows this failure.',
      subject: f.subject,
      causedBy: [causedBy],
      observedAt: observedAt.toISOString(),
    },
    [causedBy],
    cfg.source,
  );
}

export function firedRecord(e: CloudEvent<Finding>): FiredRecord {
  const d = e.data!;
  return { rule: d.rule, severity: d.severity, category: d.category, subject: d.subject, summary: d.summary };
}
