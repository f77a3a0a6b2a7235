import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { CanonicalJsonError } from './errors.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units and serialises numbers the ECMAScript way', () => {
    // RFC 8785 section 3.2.3 sorting example, and 3.2.2.3 number forms.
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Checked on the text: JSON.parse would move the integer-like key "1" first again.
    const keys = [...canonicalJson(input).matchAll(/"([^"]*)":"/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    expect(canonicalJson({ b: [1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333], a: { z: null, y: true } })).toBe(
      '{"a":{"y":true,"z":null},"b":[1e+21,1e-7,0,0.30000000000000004,333333333.3333333]}',
    );
    expect(canonicalJson({ s: '\u0000\u001f"\\/\u2028' })).toBe('{"s":"\\u0000\\u001f\\"\\\\/\u2028"}');
  });

  it('drops undefined members and is idempotent through JSON.parse', () => {
    const text = canonicalJson({ x: undefined, y: [undefined, 1], z: { q: 'é' } });
    expect(text).toBe('{"y":[null,1],"z":{"q":"é"}}');
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });

  it('gives the same text on the fast path and the general writer (integer-like names, __proto__, escapes)', () => {
    expect(canonicalJson(JSON.parse('{"b":{"__proto__":1,"a":2},"a":[{"10":1,"9":2,"x":3}]}'))).toBe('{"a":[{"10":1,"9":2,"x":3}],"b":{"__proto__":1,"a":2}}');
    expect(canonicalJson({ s: '\\ud800 is not a surrogate', t: '\ud83d\ude00' })).toBe('{"s":"\\\\ud800 is not a surrogate","t":"\ud83d\ude00"}');
    expect(() => canonicalJson({ ok: 'x', bad: { ['\udc00']: 1 } })).toThrowWithCode(CanonicalJsonError, 'CANONICAL_JSON_INVALID');
    expect(() => canonicalJson([[['\udbff']]])).toThrowWithCode(CanonicalJsonError, 'CANONICAL_JSON_INVALID');
  });

  it('refuses what JSON cannot carry, with a code', () => {
    for (const bad of [Number.NaN, Infinity, () => 1, 10n, '\ud800', { a: Symbol('s') }]) {
      expect(() => canonicalJson(bad)).toThrowWithCode(CanonicalJsonError, 'CANONICAL_JSON_INVALID');
    }
  });
});
