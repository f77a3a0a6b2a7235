import { createHash } from 'node:crypto';
import { type CloudEvent, deterministicId, FindingEvent, type Finding, makeEvent, type Metrics } from '../../core/index.js';

/**
 * What every detector needs to turn a conclusion into a `dev.chainwatch.finding.v1` event.
 *
 * Delivery is at-least-once, so a handler may see the same event twice (or a timer may fire
 * again after a restart). The finding id is therefore derived from what caused it, never random:
 * the same cause always yields the same findingId AND the same CloudEvent id, so downstream
 * dedup (sinks, audit) sees one finding, not two. deterministicId is core's (collectors derive
 * event ids the same way).
 */
export { deterministicId };

/** A short stable hash for dedup keys that must not carry long or odd strings verbatim. */
export function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/** Dedup keys are `rule|part|part`; parts are cut so the key stays under the schema's 512 chars. */
export function dedupKey(rule: string, ...parts: (string | number)[]): string {
  const key = [rule, ...parts.map((p) => String(p).replaceAll('|', '%7C'))].join('|');
  return key.length <= 512 ? key : `${key.slice(0, 470)}#${shortHash(key)}`;
}

export type FindingDraft = Omit<Finding, 'findingId' | 'labels' | 'evidence' | 'links' | 'causedBy' | 'status'> &
  Partial<Pick<Finding, 'labels' | 'evidence' | 'links' | 'causedBy' | 'status'>>;

/**
 * Builds the finding event. `idParts` name the cause (e.g. the causing event id); the same parts
 * give the same ids. The envelope carries `subject` = finding subject so one subject stays ordered.
 */
export function findingEvent(draft: FindingDraft, idParts: (string | number)[], source: string): CloudEvent<Finding> {
  const finding: Finding = {
    status: 'firing',
    labels: {},
    evidence: {},
    links: [],
    causedBy: [],
    ...draft,
    findingId: deterministicId(draft.detector, draft.rule, draft.status ?? 'firing', draft.dedupKey, ...idParts),
    summary: draft.summary.slice(0, 1000),
  };
  return makeEvent({
    id: finding.findingId,
    type: FindingEvent.type,
    source,
    subject: finding.subject,
    time: finding.observedAt,
    data: finding,
  });
}

/** Counts published findings by detector, rule and status (chainwatch_detector_findings_total). */
export function findingsCounter(metrics: Metrics): (events: readonly CloudEvent<Finding>[]) => void {
  const c = metrics.counter('detector_findings_total', 'Findings published by detectors', ['detector', 'rule', 'status']);
  return (events) => {
    for (const e of events) c.inc({ detector: e.data!.detector, rule: e.data!.rule, status: e.data!.status });
  };
}
