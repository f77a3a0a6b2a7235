import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadRecording } from './testing/fake-rekor.js';
import { consistencyProofSchema, logEntrySchema, logInfoSchema, type LogEntryRead, type LogInfoRead } from './v1-schemas.js';

/** The Rekor v1 boundary: schemas typed against @sigstore/rekor-types, checked on real responses. */
describe('Rekor v1 response schemas', () => {
  const rec = loadRecording();

  it('accept every response recorded from a real Rekor', () => {
    for (const head of rec.heads) expect(logInfoSchema.safeParse(head).success).toBe(true);
    expect(consistencyProofSchema.safeParse(rec.proof).success).toBe(true);
    for (const obj of rec.entries) for (const e of Object.values(obj)) expect(logEntrySchema.safeParse(e).success).toBe(true);
  });

  it('refuse what the API types differently, and tolerate what older servers omit', () => {
    const head = rec.heads[0]!;
    expect(logInfoSchema.safeParse({ ...head, treeSize: String(head.treeSize) }).success).toBe(false);
    expect(logInfoSchema.safeParse({ ...head, inactiveShards: null }).success).toBe(true);
    const [e] = Object.values(rec.entries[0]!);
    const { checkpoint: _omitted, ...proof } = e!.verification.inclusionProof;
    expect(logEntrySchema.safeParse({ ...e, verification: { ...e!.verification, inclusionProof: proof } }).success).toBe(true);
    expect(logEntrySchema.safeParse({ ...e, logIndex: -1 }).success).toBe(false);
  });

  it('cannot be written against a drifted shape (checked by tsc in `npm run lint`)', () => {
    // @ts-expect-error treeSize is a number in Rekor's API: a schema that says otherwise does not compile
    const info = z.object({ treeSize: z.string() }) satisfies z.ZodType<Partial<LogInfoRead>>;
    // @ts-expect-error integratedTime is a number in Rekor's API
    const entry = z.object({ integratedTime: z.iso.datetime() }) satisfies z.ZodType<Partial<LogEntryRead>>;
    expect(info.safeParse({ treeSize: 1 }).success).toBe(false);
    expect(entry.safeParse({ integratedTime: 1 }).success).toBe(false);
  });
});
