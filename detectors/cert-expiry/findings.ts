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
/** A signing key of the key inventory nears (or passed) its rotation date: same thresholds, own rule. */
export const RULE_ROTATION_DUE = 'key.rotation_due';

const DAY = 86_400_000;

const ruleOf = (item: Pick<Item, 'kind'>): string => (item.kind === 'key' ? RULE_ROTATION_DUE : RULE_EXPIRING);

export function expiringKey(item: Pick<Item, 'id' | 'kind'>, within: number): string {
  return dedupKey(ruleOf(item), item.id, formatDuration(within));
}

function what(item: Item): string {
  switch (item.kind) {
    case 'certificate':
      return `Certificate ${item.label}`;
    case 'window':
      return `Validity window of ${item.label}`;
    case 'metadata':
      return `TUF metadata ${item.label}`;
    case 'key':
      return `Rotation of signing key ${item.label}`;
  }
}

function due(item: Item, leftMs: number): string {
  const days = `(in ${Math.max(1, Math.ceil(leftMs / DAY))} day(s))`;
  if (item.kind === 'key') return leftMs <= 0 ? `overdue since ${item.notAfter}` : `due ${item.notAfter} ${days}`;
  return leftMs <= 0 ? `expired ${item.notAfter}` : `expires ${item.notAfter} ${days}`;
}

export function expiringFinding(cfg: CertExpiryConfig, item: Item, within: number, severity: Severity, now: Date): CloudEvent<Finding> {
  const left = Date.parse(item.notAfter) - now.getTime();
  const key = expiringKey(item, within);
  return findingEvent(
    {
      detector: DETECTOR,
      rule: ruleOf(item),
      severity,
      category: 'infrastructure',
      dedupKey: key,
      subject: subjectOf(item),
      summary: `${what(item)} ${due(item, left)}: within the ${formatDuration(within)} threshold (${item.source} ${item.slot})`,
      labels: { source: item.source, threshold: formatDuration(within) },
      evidence: evidence(item, within, left),
      observedAt: now.toISOString(),
    },
    [item.id, within],
    cfg.source,
  );
}

export function resolvedFinding(
  cfg: CertExpiryConfig,
  f: Fired,
  why: 'renewed or removed' | 'rotated, retired or removed' | 'date moved later',
  now: Date,
): CloudEvent<Finding> {
  const left = Date.parse(f.item.notAfter) - now.getTime();
  const state = why === 'date moved later' ? `now ${due(f.item, left)}` : `is no longer in the inventory (${why})`;
  return findingEvent(
    {
      detector: DETECTOR,
      rule: ruleOf(f.item),
      severity: f.severity as Severity,
      category: 'infrastructure',
      status: 'resolved',
      dedupKey: f.dedupKey,
      subject: subjectOf(f.item),
      summary: `${what(f.item)} ${state}: the ${formatDuration(f.within)} threshold is resolved`,
      labels: { source: f.item.source, threshold: formatDuration(f.within) },
      evidence: evidence(f.item, f.within, left),
      observedAt: now.toISOString(),
    },
    [f.id, f.within],
    cfg.source,
  );
}

/** A key item's id is already `key:<id>` (the revocation subject's form); a bare hex id is a certificate hash. */
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
