import type { Notification } from '../../core/index.js';

/**
 * Atlassian Document Format (ADF) builders for issue descriptions and comments (Jira REST v3
 * accepts only ADF there, never plain strings). Text nodes must be non-empty, so every builder
 * drops empty strings; Jira text fields hold at most 32 767 characters, so evidence is cut.
 */
export interface AdfMark {
  type: 'strong' | 'em' | 'code' | 'link';
  attrs?: { href: string };
}
export type AdfInline = { type: 'text'; text: string; marks?: AdfMark[] } | { type: 'hardBreak' };
export type AdfBlock =
  | { type: 'paragraph'; content: AdfInline[] }
  | { type: 'heading'; attrs: { level: 1 | 2 | 3 | 4 | 5 | 6 }; content: AdfInline[] }
  | { type: 'bulletList'; content: AdfListItem[] }
  | { type: 'codeBlock'; attrs?: { language: string }; content: { type: 'text'; text: string }[] }
  | { type: 'rule' };
export interface AdfListItem {
  type: 'listItem';
  content: AdfBlock[];
}
export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfBlock[];
}

const EVIDENCE_MAX = 16_000;
const DESCRIPTION_MAX = 8_000;

const text = (t: string, ...marks: AdfMark[]): AdfInline[] => (t ? [{ type: 'text', text: t, ...(marks.length ? { marks } : {}) }] : []);
const paragraph = (...content: AdfInline[][]): AdfBlock => ({ type: 'paragraph', content: content.flat() });
const heading = (t: string): AdfBlock => ({ type: 'heading', attrs: { level: 3 }, content: text(t) });
const item = (...content: AdfInline[][]): AdfListItem => ({ type: 'listItem', content: [paragraph(...content)] });
// Only http(s) targets become link marks; anything else stays readable text.
const link = (title: string, href: string): AdfInline[] =>
  /^https?:\/\//.test(href) ? text(title || href, { type: 'link', attrs: { href } }) : text(`${title}: ${href}`);

export function occurrencesLine(n: Notification): string {
  return `${n.occurrences} occurrence${n.occurrences === 1 ? '' : 's'} since ${n.firstSeen} (last ${n.lastSeen})`;
}

export function descriptionDoc(n: Notification): AdfDoc {
  const f = n.finding;
  const facts: [string, string | undefined][] = [
    ['Severity', f.severity],
    ['Category', f.category],
    ['Rule', f.rule],
    ['Detector', f.detector],
    ['Subject', f.subject],
    ['Source', f.source],
    ['Tenant', f.tenant],
    ['Occurrences', occurrencesLine(n)],
    ['Observed at', f.observedAt],
  ];
  const content: AdfBlock[] = [paragraph(text(f.summary, { type: 'strong' }))];
  if (f.description)
    content.push(paragraph(text(f.description.length > DESCRIPTION_MAX ? `${f.description.slice(0, DESCRIPTION_MAX)}… (truncated)` : f.description)));
  content.push(heading('Details'), {
    type: 'bulletList',
    content: [
      ...facts.filter((p): p is [string, string] => !!p[1]).map(([k, v]) => item(text(`${k}: `, { type: 'strong' }), text(v))),
      item(text('Dedup key: ', { type: 'strong' }), text(n.dedupKey, { type: 'code' })),
      item(text('Notification: ', { type: 'strong' }), text(n.id, { type: 'code' })),
    ],
  });
  content.push(...evidenceBlocks(f.evidence));
  const links = [...(n.auditUrl ? [{ title: 'Audit record', url: n.auditUrl }] : []), ...f.links];
  if (links.length) content.push(heading('Links'), { type: 'bulletList', content: links.map((l) => item(link(l.title, l.url))) });
  return { type: 'doc', version: 1, content };
}

export function commentDoc(n: Notification, lead: string): AdfDoc {
  const content: AdfBlock[] = [paragraph(text(lead, { type: 'strong' }), text(` ${occurrencesLine(n)}.`))];
  if (n.action !== 'resolve') content.push(...evidenceBlocks(n.finding.evidence));
  content.push(paragraph(text('Notification: '), text(n.id, { type: 'code' })));
  return { type: 'doc', version: 1, content };
}

function evidenceBlocks(evidence: Record<string, unknown>): AdfBlock[] {
  if (Object.keys(evidence).length === 0) return [];
  let json = JSON.stringify(evidence, null, 2);
  if (json.length > EVIDENCE_MAX) json = `${json.slice(0, EVIDENCE_MAX)}\n… (truncated)`;
  return [heading('Evidence'), { type: 'codeBlock', attrs: { language: 'json' }, content: text(json) as { type: 'text'; text: string }[] }];
}
