import {
  type CloudEvent,
  type Finding,
  FindingEvent,
  type FindingInput,
  findingSchema,
  makeEvent,
  type Notification,
  type NotificationAction,
} from '../index.js';

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

/** Findings as the detectors raise them (shapes from detectors' rule docs), parsed through the real schema. */
export const rekorForkFinding: FindingInput = {
  findingId: '01JD8W6Q3M2Z7N4V9K5T1R8E0A',
  rule: 'tlog.consistency_failed',
  detector: 'tlog-consistency',
  severity: 'critical',
  category: 'security',
  dedupKey: 'tlog.consistency_failed:rekor.sigstore.dev:c0d7d0cb-a4f6-4e2c-b1e9-6f1e3b9e2a51',
  summary: 'Rekor log rekor.sigstore.dev presented a checkpoint inconsistent with the previous one (possible split view)',
  description: 'The consistency proof from tree size 123456789 to 123457000 did not verify against the stored root. Witnessed checkpoints disagree.',
  subject: 'https://rekor.sigstore.dev',
  source: 'https://rekor.sigstore.dev/api/v1/log',
  labels: { log: 'rekor.sigstore.dev' },
  evidence: {
    oldSize: 123456789,
    oldRoot: 'a3f1c6b2e9d84f7a0c5b1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6',
    newSize: 123457000,
    newRoot: '5e0b7c2d9a8f1e3b4c6d7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d',
    proofHashes: 27,
  },
  links: [
    { title: 'Checkpoint', url: 'https://rekor.sigstore.dev/api/v1/log/checkpoint' },
    { title: 'Runbook: split view', url: 'https://docs.example.org/chainwatch/runbooks/split-view' },
  ],
  observedAt: '2026-11-26T03:10:42.117Z',
};

export const unexpectedSignerFinding: FindingInput = {
  findingId: '01JD8WB2KX0P3F6H9J1M4Q7S2V',
  rule: 'identity.unexpected_signer',
  detector: 'identity-watch',
  severity: 'high',
  category: 'security',
  dedupKey: 'identity.unexpected_signer:npm/left-pad:https://github.com/evil/left-pad/.github/workflows/release.yml@refs/heads/main',
  summary: 'left-pad@1.3.1 was signed by an identity outside the allow list',
  subject: 'pkg:npm/left-pad@1.3.1',
  evidence: {
    certificateIdentity: 'https://github.com/evil/left-pad/.github/workflows/release.yml@refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
    logIndex: 149876543,
    artifactDigest: 'sha256:9f2b0c3e5a7d1f4b6c8e0a2d4f6b8c0e2a4c6e8f0b2d4f6a8c0e2b4d6f8a0c2e',
  },
  links: [{ title: 'Rekor entry', url: 'https://search.sigstore.dev/?logIndex=149876543' }],
  observedAt: '2026-11-26T02:58:03.004Z',
};

/**
 * A notification of a fixed sample finding with a deterministic id (per finding, action and
 * occurrences), so a receiver sees the same notification again on a redelivery.
 */
export function notificationFor(input: FindingInput, action: NotificationAction, over: Partial<Notification> = {}): Notification {
  const finding = findingSchema.parse({ ...input, status: action === 'resolve' ? 'resolved' : 'firing' });
  return {
    id: `n-${finding.dedupKey.length}-${action}-${over.occurrences ?? 1}`,
    action,
    route: 'security-oncall',
    dedupKey: finding.dedupKey,
    finding,
    occurrences: 1,
    firstSeen: '2026-11-26T03:10:42.117Z',
    lastSeen: finding.observedAt,
    auditUrl: `https://chainwatch.example.org/audit/findings/${finding.findingId}`,
    ...over,
  };
}

/** A signal that never aborts, for a sink's `deliver(n, signal)`. */
export const openSignal = (): AbortSignal => new AbortController().signal;
