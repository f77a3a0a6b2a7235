import { type CloudEvent, type Finding, FindingEvent, type FindingInput, findingSchema, makeEvent, type Notification } from '../index.js';

/** Valid findings, finding events and notifications for tests of detectors, the pipeline and sink adapters. */
let seq = 0;
/** A valid finding with overridable fields; ids are unique per call. */
export function makeFinding(over: Partial<FindingInput> = {}): Finding {
  seq++;
  return findingSchema.parse({
    findingId: `f-${process.pid}-${seq}`,
    rule: 'tlog.consistency_failed',
    detector: 'tlog-consistency',
    severity: 'critical',
    category: 'security',
    dedupKey: 'rekor.sigstore.dev:fork',
    summary: 'Rekor log served two inconsistent checkpoints',
    subject: 'rekor.sigstore.dev',
    source: 'https://rekor.sigstore.dev',
    evidence: { treeSize: 1234, rootHash: 'ab'.repeat(32) },
    observedAt: new Date(Date.parse('2026-01-01T00:00:00Z') + seq * 1000).toISOString(),
    ...over,
  });
}

/** The finding wrapped as a bus event. */
export function findingEvent(f: Finding): CloudEvent {
  return makeEvent({ type: FindingEvent.type, source: '/chainwatch/test', subject: f.subject, data: f });
}

/** A sample notification for sink adapter tests. */
export function makeNotification(over: Partial<Notification> = {}, finding: Partial<FindingInput> = {}): Notification {
  const f = makeFinding(finding);
  return {
    id: 'cw-0123456789abcdef0123456789abcdef',
    action: 'trigger',
    route: 'security',
    dedupKey: f.dedupKey,
    finding: f,
    occurrences: 1,
    firstSeen: f.observedAt,
    lastSeen: f.observedAt,
    auditUrl: `https://chainwatch.example/audit/${f.findingId}`,
    ...over,
  };
}
