import { isObject } from './base.js';

/**
 * ADF document checks after Atlassian's published ADF schema (doc_node): version 1, type doc,
 * block nodes with the children each one allows, non-empty text nodes, known marks (link needs
 * attrs.href, code combines only with link), heading levels 1..6, codeBlock text without marks.
 */
const INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard']);
const CHILDREN: Record<string, Set<string> | 'inline' | 'text' | 'none'> = {
  paragraph: 'inline',
  heading: 'inline',
  bulletList: new Set(['listItem']),
  orderedList: new Set(['listItem']),
  listItem: new Set(['paragraph', 'bulletList', 'orderedList', 'codeBlock']),
  codeBlock: 'text',
  blockquote: new Set(['paragraph', 'bulletList', 'orderedList', 'codeBlock']),
  rule: 'none',
  panel: new Set(['paragraph', 'heading', 'bulletList', 'orderedList']),
};
const DOC_BLOCKS = new Set(['paragraph', 'heading', 'bulletList', 'orderedList', 'codeBlock', 'blockquote', 'rule', 'panel']);
const MARKS = new Set(['strong', 'em', 'code', 'link', 'strike', 'underline', 'subsup', 'textColor']);

export function checkAdf(doc: unknown): string[] {
  const errs: string[] = [];
  if (!isObject(doc) || doc.type !== 'doc' || doc.version !== 1 || !Array.isArray(doc.content)) return ['not an ADF doc (type doc, version 1, content array)'];
  doc.content.forEach((n, i) => {
    if (!isObject(n) || !DOC_BLOCKS.has(String(n.type))) errs.push(`content[${i}] is not a block node`);
    else node(n, `content[${i}]`, errs);
  });
  return errs;
}

function node(n: Record<string, unknown>, at: string, errs: string[]): void {
  const type = String(n.type);
  if (type === 'text') return textNode(n, at, errs, true);
  if (type === 'hardBreak') return;
  const rule = CHILDREN[type];
  if (!rule) return void errs.push(`${at}: unknown node ${type}`);
  if (type === 'heading' && (!isObject(n.attrs) || ![1, 2, 3, 4, 5, 6].includes(n.attrs.level as number))) errs.push(`${at}: heading needs attrs.level 1..6`);
  if (rule === 'none') return void (n.content !== undefined && errs.push(`${at}: ${type} has no content`));
  const content = n.content ?? [];
  if (!Array.isArray(content)) return void errs.push(`${at}.content must be an array`);
  if ((type === 'bulletList' || type === 'orderedList' || type === 'listItem') && content.length === 0) errs.push(`${at}: ${type} needs at least one child`);
  content.forEach((c, i) => {
    const where = `${at}.content[${i}]`;
    if (!isObject(c)) return void errs.push(`${where} not an object`);
    const ct = String(c.type);
    if (rule === 'inline' && !INLINE.has(ct)) errs.push(`${where}: ${ct} not allowed in ${type}`);
    else if (rule === 'text') {
      if (ct !== 'text') errs.push(`${where}: only text in codeBlock`);
      else textNode(c, where, errs, false);
      return;
    } else if (rule instanceof Set && !rule.has(ct)) errs.push(`${where}: ${ct} not allowed in ${type}`);
    node(c, where, errs);
  });
}

function textNode(n: Record<string, unknown>, at: string, errs: string[], marksAllowed: boolean): void {
  if (typeof n.text !== 'string' || n.text.length === 0) errs.push(`${at}: text must be a non-empty string`);
  if (n.marks === undefined) return;
  if (!marksAllowed) return void errs.push(`${at}: no marks allowed here`);
  if (!Array.isArray(n.marks)) return void errs.push(`${at}.marks must be an array`);
  const types = n.marks.map((m) => (isObject(m) ? String(m.type) : '?'));
  for (const [i, m] of n.marks.entries()) {
    if (!isObject(m) || !MARKS.has(String(m.type))) errs.push(`${at}.marks[${i}] unknown`);
    else if (m.type === 'link' && (!isObject(m.attrs) || typeof m.attrs.href !== 'string')) errs.push(`${at}.marks[${i}] link needs attrs.href`);
  }
  if (types.includes('code') && types.some((t) => t !== 'code' && t !== 'link')) errs.push(`${at}: code mark combines only with link`);
  if (new Set(types).size !== types.length) errs.push(`${at}: duplicate marks`);
}
