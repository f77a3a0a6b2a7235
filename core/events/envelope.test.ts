import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envelopeSchema, isPlainValidEnvelope, makeEvent } from './envelope.js';

/** Values that exercise every rule of the schema: right and wrong types, empty strings, odd keys. */
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(''),
  fc.string({ maxLength: 6 }),
  fc.constantFrom(
    '1.0',
    '0.3',
    '2026-12-05T08:00:00Z',
    '2026-12-05T08:00:00.123+01:00',
    '2026-13-05T08:00:00Z',
    '2026-12-05 08:00:00',
    'dev.chainwatch.system.probe.v1',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const keys = fc.constantFrom(
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

describe('isPlainValidEnvelope (the hot-path check)', () => {
  it('never accepts what the envelope schema rejects', () => {
    const base = makeEvent({ type: 'dev.chainwatch.system.probe.v1', source: 'urn:x', subject: 's', data: { seq: 1 } });
    fc.assert(
      fc.property(fc.dictionary(keys, anyValue, { maxKeys: 6 }), fc.boolean(), (changes, fromBase) => {
        const candidate: unknown = fromBase ? { ...base, ...changes } : changes;
        const fast = isPlainValidEnvelope(candidate);
        if (fast) expect(envelopeSchema.safeParse(candidate).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts the envelopes the bus carries, so the hot path is taken', () => {
    const ev = makeEvent({ type: 'dev.chainwatch.system.probe.v1', source: 'urn:x', subject: 's', data: { seq: 1 }, extensions: { traceparent: 'tp' } });
    expect(isPlainValidEnvelope(ev)).toBe(true);
    expect(isPlainValidEnvelope(JSON.parse(JSON.stringify(ev)))).toBe(true);
    expect(isPlainValidEnvelope({ ...ev, time: '2026-12-05T08:00:00Z' })).toBe(true);
  });
});
