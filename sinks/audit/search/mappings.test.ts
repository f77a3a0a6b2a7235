import { describe, expect, it } from 'vitest';
import { TreeBuilder } from '../../../core/tlog/index.js';
import { AppendPlanner, recordFields, sameFields } from '../record.js';
import { sampleEntries } from '../testing/contract.js';
import { type RecordDoc, recordDocument, rowFromHit } from './mappings.js';

describe('rowFromHit', () => {
  const [p] = new AppendPlanner(TreeBuilder.empty()).prepare(sampleEntries(1), new Date('2026-01-01T00:00:00Z')).records;
  const doc = (): RecordDoc => JSON.parse(JSON.stringify(recordDocument(p!))) as RecordDoc;

  it('returns the stored fields of an intact document', () => {
    const row = rowFromHit({ _id: '0', _source: doc() });
    expect(row.position).toBe(0);
    expect(sameFields(recordFields(p!.record), row.fields)).toBe(true);
  });

  it('flags a rewritten chainwatch.audit.index (what get, scan, paging and proofs look records up by)', () => {
    const d = doc();
    d.chainwatch!.audit!.index = 7;
    const row = rowFromHit({ _id: '0', _source: d });
    expect(sameFields(recordFields(p!.record), row.fields)).toBe(false);
  });
});
