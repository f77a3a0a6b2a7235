import { describe, expect, it } from 'vitest';
import { EventError } from '../errors.js';
import { envelopeSchema, parseEnvelope } from './envelope.js';

const base = { specversion: '1.0', id: 'i-1', source: 'urn:test', type: 'dev.chainwatch.system.probe.v1' };

/**
 * parseEnvelope takes a fast path for the common case; zod's envelopeSchema stays the definition.
 * Every input below must get the same verdict, and an accepted one the same object with the same
 * key order (encodeEvent writes the bytes in that order).
 */
const cases: [string, unknown][] = [
  ['minimal', base],
  ['every optional attribute', { ...base, subject: 's', time: '2024-01-01T00:00:00Z', datacontenttype: 'application/json', dataschema: 'x', data: { a: [1] } }],
  ['keys out of shape order, extensions interleaved', { data: 1, zz: 'x', type: base.type, ext1: 2, id: 'i', source: 's', specversion: '1.0', flag: true }],
  ['time with offset and fraction', { ...base, time: '2024-01-01T00:00:00.123+02:00' }],
  ['time without offset', { ...base, time: '2024-01-01T00:00:00' }],
  ['time on a leap day', { ...base, time: '2024-02-29T23:59:59-05:00' }],
  ['time on a day that does not exist', { ...base, time: '2023-02-29T00:00:00Z' }],
  ['time not a date', { ...base, time: 'yesterday' }],
  ['time a number', { ...base, time: 5 }],
  ['wrong specversion', { ...base, specversion: '0.3' }],
  ['empty id', { ...base, id: '' }],
  ['missing source', { specversion: '1.0', id: 'i', type: 't' }],
  ['empty subject', { ...base, subject: '' }],
  ['subject a number', { ...base, subject: 1 }],
  ['undefined subject', { ...base, subject: undefined }],
  ['undefined data', { ...base, data: undefined }],
  ['null data', { ...base, data: null }],
  ['extension NaN', { ...base, ext: Number.NaN }],
  ['extension Infinity', { ...base, ext: Number.POSITIVE_INFINITY }],
  ['extension object', { ...base, ext: {} }],
  ['extension null', { ...base, ext: null }],
  ['extension name uppercase', { ...base, Ext: 'x' }],
  ['extension name too long', { ...base, abcdefghijklmnopqrstu: 'x' }],
  ['data_base64 string', { ...base, data_base64: 'AAAA' }],
  ['data_base64 object', { ...base, data_base64: {} }],
  ['__proto__ key from JSON', JSON.parse('{"specversion":"1.0","id":"i","source":"s","type":"t","__proto__":"x"}') as unknown],
  ['null prototype', Object.assign(Object.create(null) as object, base)],
  ['class instance', Object.assign(new (class Ev {})(), base)],
  ['array', [base]],
  ['null', null],
  ['string', 'event'],
];

describe('parseEnvelope', () => {
  it.each(cases)('agrees with envelopeSchema: %s', (_name, input) => {
    const expected = envelopeSchema.safeParse(input);
    if (expected.success) {
      const got = parseEnvelope(input);
      expect(got).toStrictEqual(expected.data);
      expect(Object.keys(got)).toEqual(Object.keys(expected.data));
      expect(got).not.toBe(input);
    } else {
      expect(() => parseEnvelope(input)).toThrowWithCode(EventError, 'EVENT_INVALID_ENVELOPE');
    }
  });
});
