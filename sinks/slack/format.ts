import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import type { Notification, Severity } from '../../core/index.js';

/**
 * Block Kit message for one notification. The @slack/types types check the shape at compile time;
 * the documented limits (header 150, section text 3000, 10 fields of 2000, button text 75, url
 * 3000, 10 context elements, 25 actions, 50 blocks) are enforced here by truncation, because
 * Slack rejects the whole message (400 invalid_blocks) rather than trimming it.
 */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  buttonText: 75,
  buttonUrl: 3000,
  contextElements: 10,
  actionsElements: 25,
  blocks: 50,
  fallbackText: 3000,
} as const;

const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
  info: ':white_circle:',
};

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface SlackFormatOptions {
  /** Prepended to the fallback text of critical triggers, e.g. "<!here>". */
  mentionOnCritical?: string;
  /** At most this many finding links become buttons (the audit link always comes first). */
  maxLinks: number;
}

export function buildSlackMessage(n: Notification, opts: SlackFormatOptions): SlackMessage {
  const f = n.finding;
  const resolved = n.action === 'resolve';
  const title = resolved ? `Resolved: ${f.summary}` : `[${f.severity.toUpperCase()}] ${f.summary}`;
  const blocks: KnownBlock[] = [header(title), fieldsSection(n)];
  const body = f.description ?? (resolved ? 'The condition cleared.' : undefined);
  if (body) blocks.push(mrkdwnSection(escape(body)));
  const evidence = evidenceText(f.evidence);
  if (evidence && !resolved) blocks.push(mrkdwnSection(`*Evidence*\n\`\`\`${evidence}\`\`\``));
  const actions = linkButtons(n, opts.maxLinks);
  if (actions) blocks.push(actions);
  blocks.push(context(n));
  const mention = !resolved && f.severity === 'critical' && opts.mentionOnCritical ? `${opts.mentionOnCritical} ` : '';
  const emoji = resolved ? ':white_check_mark:' : SEVERITY_EMOJI[f.severity];
  return { text: truncate(`${mention}${emoji} ${escape(title)}`, SLACK_LIMITS.fallbackText), blocks };
}

function header(title: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(title, SLACK_LIMITS.headerText), emoji: true } };
}

function fieldsSection(n: Notification): SectionBlock {
  const f = n.finding;
  const pairs: [string, string | undefined][] = [
    ['Severity', `${SEVERITY_EMOJI[f.severity]} ${f.severity}`],
    ['Category', f.category],
    ['Rule', f.rule],
    ['Detector', f.detector],
    ['Subject', f.subject],
    ['Tenant', f.tenant],
    ['Route', n.route],
  ];
  const fields: MrkdwnElement[] = pairs
    .filter((p): p is [string, string] => p[1] !== undefined)
    .slice(0, SLACK_LIMITS.fields)
    .map(([k, v]) => ({ type: 'mrkdwn', text: truncate(`*${k}*\n${escape(v)}`, SLACK_LIMITS.fieldText) }));
  return { type: 'section', fields };
}

function mrkdwnSection(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) } };
}

/** One `key: value` line per evidence entry, values compact JSON, cut to fit one section. */
function evidenceText(evidence: Record<string, unknown>): string | undefined {
  const lines = Object.entries(evidence).map(([k, v]) => `${k}: ${truncate(typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null'), 300)}`);
  if (lines.length === 0) return undefined;
  // Room for "*Evidence*\n" and the two fences.
  return truncate(escape(lines.join('\n')), SLACK_LIMITS.sectionText - 20);
}

function linkButtons(n: Notification, maxLinks: number): ActionsBlock | undefined {
  const links = [...(n.auditUrl ? [{ title: 'Audit record', url: n.auditUrl }] : []), ...n.finding.links.slice(0, maxLinks)].filter(
    (l) => /^https?:\/\//.test(l.url) && l.url.length <= SLACK_LIMITS.buttonUrl,
  );
  if (links.length === 0) return undefined;
  const elements: Button[] = links.slice(0, SLACK_LIMITS.actionsElements).map((l, i) => ({
    type: 'button',
    action_id: `link_${i}`,
    text: { type: 'plain_text', text: truncate(l.title, SLACK_LIMITS.buttonText) },
    url: l.url,
  }));
  return { type: 'actions', elements };
}

function context(n: Notification): ContextBlock {
  const since = n.firstSeen;
  const count = `${n.occurrences} occurrence${n.occurrences === 1 ? '' : 's'} since ${since}`;
  return {
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: truncate(`dedup \`${escape(n.dedupKey)}\``, SLACK_LIMITS.sectionText) },
      { type: 'mrkdwn', text: n.action === 'resolve' ? `${count}, resolved` : count },
    ],
  };
}

/** Slack mrkdwn control characters: &, < and > must be entity-escaped. */
export function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
