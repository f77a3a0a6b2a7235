import type { Notification } from '../../core/index.js';

/**
 * Plain-text rendering shared by human-facing sinks (email, chat): title, the aggregation line
 * ("N occurrences since T"), the facts, the evidence and the audit link. Evidence never holds
 * secrets (findingSchema's contract), so it is shown as-is, bounded in size.
 */
export function formatTitle(n: Notification): string {
  const f = n.finding;
  const prefix = n.action === 'resolve' ? '[RESOLVED] ' : n.action === 'update' ? '[ONGOING] ' : '';
  return `${prefix}[${f.severity.toUpperCase()}][${f.category}] ${f.summary}`.slice(0, 250);
}

export function occurrenceLine(n: Notification): string {
  return n.occurrences > 1 ? `${n.occurrences} occurrences since ${n.firstSeen} (last ${n.lastSeen})` : `observed at ${n.lastSeen}`;
}

export function evidenceText(n: Notification, maxChars = 8000): string {
  const text = JSON.stringify(n.finding.evidence, null, 2);
  return text.length > maxChars ? `${text.slice(0, maxChars)}\n... (truncated; full evidence in the audit record)` : text;
}

export function formatNotificationText(n: Notification): string {
  const f = n.finding;
  const lines = [
    formatTitle(n),
    '',
    occurrenceLine(n),
    `rule: ${f.rule} (detector ${f.detector})`,
    `subject: ${f.subject}`,
    ...(f.source ? [`source: ${f.source}`] : []),
    ...(f.tenant ? [`tenant: ${f.tenant}`] : []),
    `dedup key: ${n.dedupKey}`,
    `route: ${n.route}`,
    ...(f.description ? ['', f.description] : []),
    '',
    'evidence:',
    evidenceText(n),
    ...(f.links.length ? ['', 'links:', ...f.links.map((l) => `- ${l.title}: ${l.url}`)] : []),
    ...(n.auditUrl ? ['', `audit record: ${n.auditUrl}`] : []),
    '',
    `notification ${n.id}`,
  ];
  return lines.join('\n');
}
