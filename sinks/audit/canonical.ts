import { AuditError } from './errors.js';

/**
 * Canonical JSON per RFC 8785 (JSON Canonicalization Scheme), the byte string each audit leaf
 * hashes. Two parties that parse the same record produce the same bytes, so a third party can
 * recompute a leaf hash from the JSON we hand out without trusting our serialiser.
 *
 * - object members sorted by their names as UTF-16 code unit sequences (JS default sort order);
 * - numbers in ECMAScript Number.prototype.toString form (what JSON.stringify emits), finite only;
 * - strings escaped as JSON.stringify does (RFC 8785 3.2.2.2 prescribes exactly that form);
 * - no whitespace; `undefined` members are dropped (they do not exist in JSON).
 * Lone surrogates cannot be represented in UTF-8 and are refused rather than silently replaced.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

/** String.prototype.isWellFormed (ES2024, Node >= 20): false when a lone surrogate is present. */
const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();
const MAX_DEPTH = 100;

function write(v: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new AuditError('AUDIT_RECORD_INVALID', 'record nests deeper than 100 levels');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new AuditError('AUDIT_RECORD_INVALID', 'record holds a non-finite number');
      return JSON.stringify(v);
    case 'string':
      if (!wellFormed(v)) throw new AuditError('AUDIT_RECORD_INVALID', 'record holds a lone UTF-16 surrogate');
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : write(x, depth + 1))).join(',')}]`;
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${write(k, depth + 1)}:${write(obj[k], depth + 1)}`).join(',')}}`;
    }
    default:
      throw new AuditError('AUDIT_RECORD_INVALID', `record holds a ${typeof v}, which JSON cannot express`);
  }
}
