import type { Notification } from '../../core/index.js';

/**
 * Markdown for GitHub issue bodies and comments. GitHub caps bodies at 65 536 characters and
 * titles at 256; evidence is cut well below. The hidden HTML comment carries the dedup key and
 * the notification id so a redelivered trigger can tell that it already created the issue.
 */
const BODY_MAX = 65_000;
const EVIDENCE_MAX = 30_000;

export function occurrencesLine(n: Notification): string {
  return `${n.occurrences} occurrence${n.occurrences === 1 ? '' : 's'} since ${n.firstSeen} (last ${n.lastSeen})`;
}

export function issueTitle(n: Notification): string {
  const t = `[chainwatch ${n.finding.severity}] ${n.finding.summary}`.replace(/\s+/g, ' ').trim();
  return t.length <= 256 ? t : `${t.slice(0, 255)}…`;
}

export function issueBody(n: Notification): string {
  const f = n.finding;
  const rows: [string, string | undefined][] = [
    ['Severity', f.severity],
    ['Category', f.category],
    ['Rule', code(f.rule)],
    ['Detector', f.detector],
    ['Subject', code(f.subject)],
    ['Source', f.source],
    ['Tenant', f.tenant],
    ['Occurrences', occurrencesLine(n)],
    ['Dedup key', code(n.dedupKey)],
  ];
  const parts = [
    `**${cell(f.summary)}**`,
    f.description ?? '',
    '| Field | Value |\n| --- | --- |\n' +
      rows
        .filter((r): r is [string, string] => !!r[1])
        .map(([k, v]) => `| ${k} | ${cell(v)} |`)
        .join('\n'),
    evidence(f.evidence),
    links(n),
    marker(n),
  ];
  const body = parts.filter(Boolean).join('\n\n');
  return body.length <= BODY_MAX ? body : `${body.slice(0, BODY_MAX)}\n\n… (truncated)\n\n${marker(n)}`;
}

export function commentBody(n: Notification, lead: string): string {
  const parts = [
    `**${lead}** ${occurrencesLine(n)}.`,
    n.action === 'resolve' ? '' : evidence(n.finding.evidence),
    `<!-- chainwatch ${notificationMarker(n.id)} -->`,
  ];
  return parts.filter(Boolean).join('\n\n');
}

function evidence(ev: Record<string, unknown>): string {
  if (Object.keys(ev).length === 0) return '';
  let json = JSON.stringify(ev, null, 2);
  if (json.length > EVIDENCE_MAX) json = `${json.slice(0, EVIDENCE_MAX)}\n… (truncated)`;
  return `### Evidence\n\n\`\`\`\`json\n${json}\n\`\`\`\``;
}

function links(n: Notification): string {
  const all = [...(n.auditUrl ? [{ title: 'Audit record', url: n.auditUrl }] : []), ...n.finding.links];
  if (all.length === 0) return '';
  return `### Links\n\n${all.map((l) => `- [${l.title.replace(/[[\]]/g, '')}](${l.url.replace(/[()\s]/g, encodeURIComponent)})`).join('\n')}`;
}

function marker(n: Notification): string {
  return `<!-- chainwatch dedup-key=${safe(n.dedupKey)} ${notificationMarker(n.id)} -->`;
}

/** The id of the notification that created an issue, as it appears in the issue body. */
export function notificationMarker(id: string): string {
  return `notification=${safe(id)}`;
}

/** "--" and ">" would end the HTML comment early. */
function safe(s: string): string {
  return s.replace(/--/g, '-\u200b-').replace(/>/g, '&gt;');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}
