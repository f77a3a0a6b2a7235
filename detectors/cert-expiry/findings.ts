import { type CloudEvent, type Finding, formatDuration, type Severity } from '../../core/index.js';
import { dedupKey, findingEvent } from '../shared/index.js';
import type { CertExpiryConfig } from './config.js';
import type { Fired, Item } from './inventory.js';

/**
 * cert.expiring: an inventory item came within a threshold of its notAfter. One finding per item
 * and threshold (key: rule | item id | threshold), firing once when crossed and resolved when the
 * item leaves the inventory (renewed: a new certificate took its place; removed: from config, the
 * file, the endpoint). Infrastructure, not security: nobody attacked, something will break.
 */
export const DETECTOR = 'cert-expiry';
export const RULE_EXPIRING = 'cert.expiring';

const DAY = 86_400_000;

export function expiringKey(id: string, within: number): string {
  return dedupKey(RULE_EXPIRING, id, formatDuration(within));
}

function what(item: Item): string {
  switch (item.kind) {
    case 'certificate':
      return `Certificate ${item.label}`;
    case 'window':
      return `Validity window of ${item.label}`;
    case 'metadata':
      return `TUF metadata ${item.label}`;
  }
}

export function expiringFinding(cfg: CertExpiryConfig, item: Item, within: number, severity: Severity, now: Date): CloudEvent<Finding> {
  const left = Date.parse(item.notAfter) - now.getTime();
  const when = left <= 0 ? `expired ${item.notAfter}` : `expires ${item.notAfter} (in ${Math.max(1, Math.ceil(left / DAY))} day(s))`;
  const key = expiringKey(item.id, within);
  return findingEvent(
    {
      detector: DETECTOR,
      rule: RULE_EXPIRING,
      severity,
      category: 'infrastructure',
      dedupKey: key,
      subject: subjectOf(item),
      summary: `${what(item)} ${when}: within the ${formatDuration(within)} threshold (${item.source} ${item.slot})`,
      labels: { source: item.source, threshold: formatDuration(within) },
      evidence: evidence(item, within, left),
      observedAt: now.toISOString(),
    },
    [item.id, within],
    cfg.source,
  );
}

export function resolvedFinding(cfg: CertExpiryConfig, f: Fired, why: 'renewed or removed', now: Date): CloudEvent<Finding> {
  return findingEvent(
    {
      detector: DETECTOR,
      rule: RULE_EXPIRING,
      severity: f.severity as Severity,
      category: 'infrastructure',
      status: 'resolved',
      dedupKey: f.dedupKey,
      subject: subjectOf(f.item),
      summary: `${what(f.item)} is no longer in the inventory (${why}): the ${formatDuration(f.within)} expiry threshold is resolved`,
      labels: { source: f.item.source, threshold: formatDuration(f.within) },
      evidence: evidence(f.item, f.within, Date.parse(f.item.notAfter) - now.getTime()),
      observedAt: now.toISOString(),
    },
    [f.id, f.within],
    cfg.source,
  );
}

const subjectOf = (item: Item): string => (/^[0-9a-f]{64}$/.test(item.id) ? `sha256:${item.id}` : item.id);

function evidence(item: Item, within: number, leftMs: number): Record<string, unknown> {
  return {
    id: item.id,
    kind: item.kind,
    source: item.source,
    slot: item.slot,
    label: item.label,
    notBefore: item.notBefore,
    notAfter: item.notAfter,
    daysLeft: Math.floor(leftMs / DAY),
    threshold: formatDuration(within),
    ...item.detail,
  };
}
