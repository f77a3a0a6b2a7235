import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * DNS names as the watchlist, the allowlist and certificates use them. Everything is compared in
 * the ASCII form (IDNA A-labels, lower case, no trailing dot): certificates carry A-labels in their
 * SANs (RFC 5280 7.2) but sometimes U-labels in a UTF8String CN, and operators write either, so
 * both sides go through node:url's domainToASCII (UTS #46).
 *
 * A pattern is one of
 *   example.com     exactly that name;
 *   .example.com    the whole subtree: example.com and every name below it;
 *   *.example.com   one label below example.com (RFC 6125 6.4.3: not a.b.example.com, not example.com).
 * A certificate name may itself be a wildcard (*.example.com) and is then matched by what it covers.
 */
export type PatternKind = 'exact' | 'subtree' | 'wildcard';
export interface NamePattern {
  kind: PatternKind;
  /** ASCII form; for subtree and wildcard patterns, the name below which they match. */
  base: string;
  /** As configured, for evidence. */
  text: string;
}

const LABEL = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/** ASCII form of a DNS name (no wildcard), or undefined when it is not one. */
export function asciiName(name: string): string | undefined {
  const trimmed = name.trim().replace(/\.$/, '');
  if (trimmed.length === 0) return undefined;
  const ascii = domainToASCII(trimmed);
  if (ascii === '' || ascii.length > 253) return undefined;
  return ascii.split('.').every((l) => LABEL.test(l)) ? ascii : undefined;
}

export const unicodeName = (ascii: string): string => domainToUnicode(ascii) || ascii;

/** Parses a configured pattern; undefined when it is not a valid one (the config schema reports it). */
export function parsePattern(text: string): NamePattern | undefined {
  const t = text.trim();
  if (t.startsWith('*.')) {
    const base = asciiName(t.slice(2));
    return base ? { kind: 'wildcard', base, text } : undefined;
  }
  if (t.startsWith('.')) {
    const base = asciiName(t.slice(1));
    return base ? { kind: 'subtree', base, text } : undefined;
  }
  const base = asciiName(t);
  return base ? { kind: 'exact', base, text } : undefined;
}

/** A name from a certificate: ASCII form, and whether it is a wildcard (then `name` is what the * stands above). */
export interface CertName {
  name: string;
  wildcard: boolean;
}
export function certName(raw: string): CertName | undefined {
  const t = raw.trim();
  if (t.startsWith('*.')) {
    const name = asciiName(t.slice(2));
    return name ? { name, wildcard: true } : undefined;
  }
  const name = asciiName(t);
  return name ? { name, wildcard: false } : undefined;
}

const parent = (n: string): string | undefined => {
  const i = n.indexOf('.');
  return i < 0 ? undefined : n.slice(i + 1);
};
const under = (n: string, base: string): boolean => n.endsWith(`.${base}`);
/** n is exactly one label below base. */
const childOf = (n: string, base: string): boolean => parent(n) === base;

/** Does the certificate name (maybe a wildcard) match the pattern? */
export function matches(p: NamePattern, c: CertName): boolean {
  if (!c.wildcard) {
    switch (p.kind) {
      case 'exact':
        return c.name === p.base;
      case 'subtree':
        return c.name === p.base || under(c.name, p.base);
      case 'wildcard':
        return childOf(c.name, p.base);
    }
  }
  // *.c.name covers exactly the names one label below c.name.
  switch (p.kind) {
    case 'exact':
      return childOf(p.base, c.name);
    case 'subtree':
      return c.name === p.base || under(c.name, p.base) || childOf(p.base, c.name);
    case 'wildcard':
      return c.name === p.base;
  }
}

/**
 * Byte strings whose absence from a certificate's DER proves no name in it can match the pattern:
 * the pattern's base (every matching plain or wildcard name ends with it), and for exact and
 * subtree patterns the wildcard one level up ("*.com" covers example.com). Both A-label and
 * U-label forms, lower case; the caller lowercases the DER the same way.
 */
export function needles(p: NamePattern): string[] {
  const forms = new Set([p.base, unicodeName(p.base)]);
  const up = p.kind === 'wildcard' ? undefined : parent(p.base);
  if (up) for (const u of [up, unicodeName(up)]) forms.add(`*.${u}`);
  return [...forms];
}
