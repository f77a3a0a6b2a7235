import { CanonicalJsonError } from './errors.js';

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
  // Fast path: a copy with every object's members inserted in sorted order, serialised by the
  // native JSON.stringify (which emits members in insertion order, numbers and strings exactly as
  // write() does). ~20% faster than write() and it skips a well-formedness scan per string: a
  // lone surrogate comes out of JSON.stringify as a \udXXX escape, so only output containing
  // "\ud" (rare: also a literal backslash followed by "ud") is redone by write(), which refuses
  // lone surrogates. Integer-like member names are enumerated before the others whatever the
  // insertion order, and "__proto__" is special: objects with such names go to write() as well.
  let copy: unknown;
  try {
    copy = sortedCopy(value, 0);
  } catch (err) {
    if (err !== NEEDS_WRITER) throw err;
    return write(value, 0);
  }
  const out = JSON.stringify(copy);
  return out.includes('\\ud') ? write(value, 0) : out;
}

/** String.prototype.isWellFormed (ES2024, Node >= 20): false when a lone surrogate is present. */
const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();
const MAX_DEPTH = 100;
const NEEDS_WRITER = new Error('member name needs the general writer');
const INTEGER_LIKE = /^(?:0|[1-9][0-9]*)$/;

/**
 * The value with object members in canonical order and undefined array items as null, validated
 * like write(). Plain objects and arrays that are already canonical (members sorted, nothing to
 * drop or replace below them) are returned as they are rather than copied: less garbage.
 */
function sortedCopy(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new CanonicalJsonError('value nests deeper than 100 levels');
  if (v === null) return v;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw new CanonicalJsonError('value holds a non-finite number');
      return v;
    case 'object': {
      if (Array.isArray(v)) {
        // A subclass could bring a toJSON(): copy it.
        let out: unknown[] | undefined = Object.getPrototypeOf(v) === Array.prototype ? undefined : [];
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          const c = x === undefined ? null : sortedCopy(x, depth + 1);
          if (out === undefined && c !== x) out = v.slice(0, i);
          if (out !== undefined) out[i] = c;
        }
        return out ?? v;
      }
      const obj = v as Record<string, unknown>;
      let keys = Object.keys(obj);
      let sorted = true;
      for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! < keys[i]!;
      if (!sorted) keys = sortNames(keys);
      // Only a plain object can be handed to JSON.stringify as is (no toJSON, no boxed primitive).
      const proto: unknown = Object.getPrototypeOf(obj);
      let out: Record<string, unknown> | undefined = sorted && (proto === Object.prototype || proto === null) ? undefined : {};
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const c0 = k.charCodeAt(0); // the regex only for names starting with a digit (rare)
        if ((c0 >= 48 && c0 <= 57 && INTEGER_LIKE.test(k)) || k === '__proto__') throw NEEDS_WRITER;
        const x = obj[k];
        const copy = x === undefined ? undefined : sortedCopy(x, depth + 1);
        if (out === undefined && copy !== x) {
          out = {};
          for (let j = 0; j < i; j++) out[keys[j]!] = obj[keys[j]!];
        }
        if (out !== undefined && copy !== undefined) out[k] = copy;
      }
      return out ?? obj;
    }
    default:
      throw new CanonicalJsonError(`value holds a ${typeof v}, which JSON cannot express`);
  }
}

/**
 * Sorted member names, remembered per insertion order: records repeat a few object shapes (every
 * event of one type), and comparing ~10 names is several times cheaper than sorting them. Keyed
 * by the first name, then matched name by name; bounded, so odd payloads only stop the caching.
 * The returned arrays are shared: read only.
 */
const SORT_CACHE = new Map<string, string[][]>(); // first name -> [order, sorted, order, sorted, ...]
const SORT_CACHE_FIRST_NAMES = 512;
const SORT_CACHE_SHAPES_PER_NAME = 16;

function sortNames(keys: string[]): string[] {
  const list = SORT_CACHE.get(keys[0]!);
  if (list) {
    for (let c = 0; c < list.length; c += 2) {
      const order = list[c]!;
      if (order.length !== keys.length) continue;
      let same = true;
      for (let i = 0; i < keys.length && same; i++) same = order[i] === keys[i];
      if (same) return list[c + 1]!;
    }
  }
  const sorted = keys.slice().sort();
  if (list) {
    if (list.length < 2 * SORT_CACHE_SHAPES_PER_NAME) list.push(keys, sorted);
  } else if (SORT_CACHE.size < SORT_CACHE_FIRST_NAMES) {
    SORT_CACHE.set(keys[0]!, [keys, sorted]);
  }
  return sorted;
}

/** The general writer: checks every string, emits members in sorted order whatever their names. */
function write(v: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new CanonicalJsonError('value nests deeper than 100 levels');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new CanonicalJsonError('value holds a non-finite number');
      return JSON.stringify(v);
    case 'string':
      return str(v);
    case 'object': {
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          const x: unknown = v[i];
          out += x === undefined ? 'null' : write(x, depth + 1);
        }
        return `${out}]`;
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const x = obj[k];
        if (x === undefined) continue;
        if (first) first = false;
        else out += ',';
        out += str(k);
        out += ':';
        out += write(x, depth + 1);
      }
      return `${out}}`;
    }
    default:
      throw new CanonicalJsonError(`value holds a ${typeof v}, which JSON cannot express`);
  }
}

function str(s: string): string {
  if (!wellFormed(s)) throw new CanonicalJsonError('value holds a lone UTF-16 surrogate');
  return JSON.stringify(s);
}
