import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventError } from '../errors.js';
import { envelopeSchema, makeEvent, parseEnvelope } from './envelope.js';

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
  ['empty datacontenttype', { ...base, datacontenttype: '' }],
  ['datacontenttype a number', { ...base, datacontenttype: 1 }],
  ['empty dataschema', { ...base, dataschema: '' }],
  ['dataschema a boolean', { ...base, dataschema: true }],
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

function agrees(input: unknown): void {
  const expected = envelopeSchema.safeParse(input);
  if (expected.success) {
    const got = parseEnvelope(input);
    expect(got).toStrictEqual(expected.data);
    expect(Object.keys(got)).toEqual(Object.keys(expected.data));
    expect(got).not.toBe(input);
  } else {
    expect(() => parseEnvelope(input)).toThrowWithCode(EventError, 'EVENT_INVALID_ENVELOPE');
  }
}

/** Values that exercise every rule of the schema: right and wrong types, empty strings, odd dates. */
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(''),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('1.0', '0.3', '2026-12-05T08:00:00Z', '2026-12-05T08:00:00.123+01:00', '2026-13-05T08:00:00Z', '2026-12-05 08:00:00'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const anyKey = fc.constantFrom(
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
  'traceparent',
  'Bad-Key',
  'x'.repeat(21),
  'ext1',
);

describe('parseEnvelope', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(cases)('agrees with envelopeSchema: %s', (_name, input) => agrees(input));

  it('agrees with envelopeSchema on generated envelopes (verdict, object, key order)', () => {
    const ev = makeEvent({ type: 'dev.chainwatch.system.probe.v1', source: 'urn:x', subject: 's', data: { seq: 1 } });
    fc.assert(
      fc.property(fc.dictionary(anyKey, anyValue, { maxKeys: 6 }), fc.boolean(), (changes, fromEvent) => {
        agrees(fromEvent ? { ...ev, ...changes } : changes);
      }),
      { numRuns: 2000, seed: 0x5eed },
    );
  });

  // The agreement tests pass just as well when every input goes through zod: this one fails when
  // the envelopes the bus carries stop taking the fast path.
  it('takes the fast path for the envelopes the bus carries', () => {
    const schema = vi.spyOn(envelopeSchema, 'safeParse');
    const ev = makeEvent({ type: 'dev.chainwatch.system.probe.v1', source: 'urn:x', subject: 's', data: { seq: 1 }, extensions: { traceparent: 'tp' } });
    for (const input of [ev, JSON.parse(JSON.stringify(ev)) as unknown, { ...ev, time: '2026-12-05T08:00:00.5+01:00' }, { ...base, data: null }]) {
      parseEnvelope(input);
    }
    expect(schema).not.toHaveBeenCalled();
    expect(() => parseEnvelope({ ...base, id: '' })).toThrowWithCode(EventError, 'EVENT_INVALID_ENVELOPE');
    expect(schema).toHaveBeenCalledTimes(1);
  });
});
