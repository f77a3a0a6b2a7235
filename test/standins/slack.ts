import type { KnownBlock } from '@slack/types';
import { INVALID_JSON, isObject, Standin, type RecordedRequest, type Reply } from './base.js';

/**
 * Slack incoming webhook stand-in. Accepts POST /services/T…/B…/<token> for the one configured
 * path and checks the message against the documented Block Kit shape and limits (the same ones
 * the @slack/types doc comments state). Errors are Slack's: 400 invalid_payload / no_text /
 * invalid_blocks, 404 no_service for an unknown hook, 410 channel_is_archived; 200 "ok".
 */
export interface SlackMessageRecord {
  text: string | undefined;
  blocks: KnownBlock[];
}

export class SlackStandin extends Standin {
  readonly messages: SlackMessageRecord[] = [];
  /** Last block errors, for test diagnostics. */
  lastErrors: string[] = [];
  archived = false;
  readonly hookPath = '/services/T0CHAINW/B0WATCH1/s3cr3tHookTokenXyZ123456';

  get webhookUrl(): string {
    return `${this.server.url}${this.hookPath}`;
  }

  protected handle(req: RecordedRequest): Reply {
    if (req.method !== 'POST' || !req.path.startsWith('/services/')) return { status: 404, body: 'no_service' };
    if (req.path !== this.hookPath) return { status: 404, body: 'no_service' };
    if (this.archived) return { status: 410, body: 'channel_is_archived' };
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return { status: 400, body: 'invalid_payload' };
    if (req.json === INVALID_JSON || !isObject(req.json)) return { status: 400, body: 'invalid_payload' };
    const msg = req.json;
    if (msg.text !== undefined && typeof msg.text !== 'string') return { status: 400, body: 'invalid_payload' };
    if ((msg.text === undefined || msg.text === '') && msg.blocks === undefined) return { status: 400, body: 'no_text' };
    const errors = msg.blocks === undefined ? [] : checkBlocks(msg.blocks);
    this.lastErrors = errors;
    if (errors.length) return { status: 400, body: 'invalid_blocks' };
    this.messages.push({ text: msg.text, blocks: (msg.blocks ?? []) as KnownBlock[] });
    return { status: 200, body: 'ok' };
  }
}

/** Checks the blocks this project sends (header, section, context, actions, divider) per the Block Kit reference. */
export function checkBlocks(blocks: unknown): string[] {
  const errs: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  if (blocks.length > 50) errs.push('more than 50 blocks');
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  blocks.forEach((b, i) => {
    const at = `blocks[${i}]`;
    if (!isObject(b)) return void errs.push(`${at} not an object`);
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length > 255) errs.push(`${at}.block_id invalid`);
      else if (blockIds.has(b.block_id)) errs.push(`${at}.block_id duplicate`);
      else blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        textObject(b.text, `${at}.text`, 150, errs, 'plain_text');
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) errs.push(`${at} needs text or fields`);
        if (b.text !== undefined) textObject(b.text, `${at}.text`, 3000, errs);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > 10) errs.push(`${at}.fields must hold 1..10 items`);
          else b.fields.forEach((f, j) => textObject(f, `${at}.fields[${j}]`, 2000, errs));
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) errs.push(`${at}.elements must hold 1..10 items`);
        else
          b.elements.forEach((e, j) => {
            if (isObject(e) && e.type === 'image') {
              if (typeof e.alt_text !== 'string' || (typeof e.image_url !== 'string' && !isObject(e.slack_file)))
                errs.push(`${at}.elements[${j}] image invalid`);
            } else textObject(e, `${at}.elements[${j}]`, 3000, errs);
          });
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) errs.push(`${at}.elements must hold 1..25 items`);
        else b.elements.forEach((e, j) => button(e, `${at}.elements[${j}]`, actionIds, errs));
        break;
      case 'divider':
        break;
      default:
        errs.push(`${at}.type ${String(b.type)} not supported by this stand-in`);
    }
  });
  return errs;
}

function textObject(t: unknown, at: string, max: number, errs: string[], only?: 'plain_text'): void {
  if (!isObject(t)) return void errs.push(`${at} must be a text object`);
  if (t.type !== 'plain_text' && t.type !== 'mrkdwn') return void errs.push(`${at}.type must be plain_text or mrkdwn`);
  if (only && t.type !== only) errs.push(`${at}.type must be ${only}`);
  if (typeof t.text !== 'string' || t.text.length === 0) errs.push(`${at}.text must be a non-empty string`);
  else if (t.text.length > max) errs.push(`${at}.text longer than ${max}`);
  if (t.emoji !== undefined && (t.type !== 'plain_text' || typeof t.emoji !== 'boolean')) errs.push(`${at}.emoji only on plain_text`);
  if (t.verbatim !== undefined && (t.type !== 'mrkdwn' || typeof t.verbatim !== 'boolean')) errs.push(`${at}.verbatim only on mrkdwn`);
  const known = new Set(['type', 'text', 'emoji', 'verbatim']);
  for (const k of Object.keys(t)) if (!known.has(k)) errs.push(`${at}.${k} unknown`);
}

function button(e: unknown, at: string, actionIds: Set<string>, errs: string[]): void {
  if (!isObject(e) || e.type !== 'button') return void errs.push(`${at} must be a button`);
  textObject(e.text, `${at}.text`, 75, errs, 'plain_text');
  if (e.action_id !== undefined) {
    if (typeof e.action_id !== 'string' || e.action_id.length > 255) errs.push(`${at}.action_id invalid`);
    else if (actionIds.has(e.action_id)) errs.push(`${at}.action_id duplicate`);
    else actionIds.add(e.action_id);
  }
  if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000 || !/^https?:\/\//.test(e.url))) errs.push(`${at}.url invalid`);
  if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > 2000)) errs.push(`${at}.value invalid`);
  if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') errs.push(`${at}.style invalid`);
}
