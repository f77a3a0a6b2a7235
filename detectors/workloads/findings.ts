import { type CloudEvent, type Finding, makeEvent, RegistryManifestEvent, type RegistryManifest, imageSubject } from '../../core/index.js';
import { dedupKey, deterministicId, findingEvent } from '../shared/index.js';
import type { WorkloadsConfig } from './config.js';
import type { Conclusion, ImageFacts } from './rules.js';
import type { FiredRecord } from './state.js';

/**
 * What the detector publishes: findings (ids derive from the cause and the dedup key, so a
 * redelivered event repeats the same ids) and re-verification requests (registry.manifest.v1,
 * source k8s, action verify; the delivery id names the digest, the reason and the minute, so a
 * repeated request in the same minute is the same request).
 */
export const DETECTOR = 'workloads';

export function firing(cfg: WorkloadsConfig, c: Conclusion, subject: string, causedBy: string, now: Date): CloudEvent<Finding> {
  return findingEvent(
    {
      detector: DETECTOR,
      rule: c.rule,
      severity: c.severity,
      category: c.category,
      dedupKey: dedupKey(c.rule, ...c.dedup),
      summary: c.summary,
      subject,
      evidence: c.evidence,
      causedBy: [causedBy],
      observedAt: now.toISOString(),
    },
    [causedBy],
    cfg.source,
  );
}

export function resolved(cfg: WorkloadsConfig, key: string, f: FiredRecord, why: string, causedBy: string, now: Date): CloudEvent<Finding> {
  return findingEvent(
    {
      detector: DETECTOR,
      rule: f.rule,
      severity: f.severity,
      category: f.category,
      status: 'resolved',
      dedupKey: key,
      summary: `Resolved: ${f.summary}`,
      description: why,
      subject: f.subject,
      causedBy: [causedBy],
      observedAt: now.toISOString(),
    },
    [causedBy],
    cfg.source,
  );
}

export function firedRecord(e: CloudEvent<Finding>, digest: string | undefined): FiredRecord {
  const d = e.data!;
  return { rule: d.rule, severity: d.severity, category: d.category, subject: d.subject, summary: d.summary, ...(digest ? { digest } : {}) };
}

export function verifyRequest(
  cfg: WorkloadsConfig,
  f: Pick<ImageFacts, 'registry' | 'repository' | 'digest'>,
  reason: string,
  now: Date,
): CloudEvent<RegistryManifest> {
  const minute = now.toISOString().slice(0, 16);
  const deliveryId = `k8s-verify:${f.digest}:${reason}:${minute}`;
  const image = { registry: f.registry, repository: f.repository, digest: f.digest };
  return makeEvent({
    id: deterministicId('workloads-verify', f.registry, f.repository, deliveryId),
    type: RegistryManifestEvent.type,
    source: cfg.source,
    subject: imageSubject(image),
    time: now,
    data: { source: 'k8s', action: 'verify', image, deliveryId, occurredAt: now.toISOString(), receivedAt: now.toISOString() },
  });
}
