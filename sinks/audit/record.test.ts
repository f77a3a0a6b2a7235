import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/index.js';
import { leafHash, TreeBuilder } from '../../core/tlog/index.js';
import type { AuditEntry } from './port.js';
import { AppendPlanner } from './record.js';
import { sampleEntries } from './testing/contract.js';

/** What the planner built before it wrote members in canonical order: the spread, undefined members dropped. */
function spreadRecord(e: AuditEntry, index: number, recordedAt: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries({ ...e, index, recordedAt }).filter(([, v]) => v !== undefined));
}

describe('AppendPlanner record form', () => {
  const now = new Date('2026-12-06T08:00:00.000Z');
  const base: AuditEntry = {
    kind: 'event',
    id: 'e-1',
    type: 'dev.chainwatch.test.v1',
    time: '2026-12-06T07:00:00.000Z',
    payload: { b: 1, a: [2, { d: 3, c: 4 }] },
  };
  const shapes: AuditEntry[] = [
    ...sampleEntries(5, 0),
    base,
    { ...base, subject: 'sha256:' + 'a'.repeat(64), digest: 'sha256:' + 'a'.repeat(64), identity: 'ops@example.com', severity: 'high', source: 'urn:x' },
    { ...base, position: { topic: 't', partition: 2, offset: 7 }, subject: undefined, digest: undefined },
    // A member outside AuditEntry (an untyped caller): it stays in the record, as it always did.
    { ...base, note: 'extra', payload: undefined } as AuditEntry,
  ];

  it('gives every entry shape the same record, body and leaf hash as the spread form', () => {
    const { records } = new AppendPlanner(TreeBuilder.empty()).prepare(shapes, now);
    expect(records).toHaveLength(shapes.length);
    records.forEach((p, i) => {
      const expected = spreadRecord(shapes[i]!, i, now.toISOString());
      expect(p.record).toStrictEqual(expected);
      expect(p.body).toBe(canonicalJson(expected));
      expect(p.leafHash.equals(leafHash(Buffer.from(p.body, 'utf8')))).toBe(true);
    });
    expect(JSON.parse(records[records.length - 1]!.body)).toHaveProperty('note', 'extra');
  });
});
