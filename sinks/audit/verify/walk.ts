import { canonicalJson } from '../../../core/index.js';
import { type Checkpoint, leafHashUtf8, type NodeId, TreeBuilder } from '../../../core/tlog/index.js';
import type { AuditStore } from '../port.js';
import { parseRecordBody, recordFields, sameFields } from '../record.js';
import { fail } from './failure.js';

/** What the walk learnt: the record count, and when the first record after the latest checkpoint was recorded. */
export interface Walk {
  records: number;
  firstUnsignedAt?: string;
}

/** Below any index: the first page starts here so rows at negative positions come first. */
const LOWEST = Number.MIN_SAFE_INTEGER;

/**
 * Steps 2, 3 and 5, in one pass over the records in order:
 *  2. every leaf is recomputed from the stored body (gaps, reordering, edits, re-serialisation,
 *     rewritten searchable fields), and the stored node cache is compared with the recomputed tree;
 *  3. the recomputed root must equal each checkpoint's root as the walk reaches its size;
 *  5. no checkpoint may cover records the store no longer has, and no row may sit outside
 *     [0, size) (the walk starts below 0, so a forged negative index cannot hide before it).
 */
export async function walkRecords(store: AuditStore, cps: readonly Checkpoint[], batch: number): Promise<Walk> {
  const builder = TreeBuilder.empty();
  const signedUpTo = cps[cps.length - 1]?.size ?? 0;
  let firstUnsignedAt: string | undefined;
  let next = 0;
  let cpAt = 0;
  let prevCovered = 0;
  for (;;) {
    // Each page re-reads the last verified position: a second row stored there (a search backend
    // holds one document per _id per index, so a forged twin can sit in another index) must not
    // hide behind the page boundary.
    const from = next > 0 ? next - 1 : LOWEST;
    const rows = await store.scan(from, from < next ? batch + 1 : batch);
    const skip = from < next && rows[0]?.position === from ? 1 : 0;
    const completed: { id: NodeId; hash: Buffer }[] = [];
    for (const row of rows.slice(skip)) {
      const i = next;
      if (row.position < 0 || !Number.isSafeInteger(row.position)) {
        fail({ code: 'RECORD_OUT_OF_RANGE', index: row.position, detail: `a row is stored at position ${row.position}, outside the log` });
      }
      if (row.position < i) {
        fail({ code: 'RECORD_OUT_OF_ORDER', index: row.position, detail: `record ${row.position} is stored twice` });
      }
      if (row.position !== i) {
        // Stored further on (rows were swapped), or not at all (deleted).
        if (rows.some((r) => r.position === i)) fail({ code: 'RECORD_OUT_OF_ORDER', index: i, detail: `record ${i} is stored out of order` });
        fail({ code: 'RECORD_MISSING', index: i, detail: `record ${i} is missing (next stored is ${row.position})` });
      }
      let record;
      try {
        record = parseRecordBody(row.body);
      } catch {
        return fail({ code: 'RECORD_UNPARSABLE', index: i, detail: `record ${i} is not a valid record` });
      }
      if (record.index !== i) fail({ code: 'RECORD_OUT_OF_ORDER', index: i, detail: `position ${i} holds record ${record.index}` });
      let canonical: string | undefined;
      try {
        canonical = canonicalJson(record);
      } catch {
        canonical = undefined;
      }
      if (canonical !== row.body) fail({ code: 'RECORD_NOT_CANONICAL', index: i, detail: `record ${i} was re-serialised` });
      const leaf = leafHashUtf8(row.body);
      if (!leaf.equals(row.leafHash)) fail({ code: 'RECORD_HASH_MISMATCH', index: i, detail: `record ${i} does not match its leaf hash: it was edited` });
      if (!sameFields(recordFields(record), row.fields)) {
        fail({ code: 'RECORD_FIELDS_MISMATCH', index: i, detail: `searchable fields of record ${i} differ from its signed body` });
      }
      if (i === signedUpTo) firstUnsignedAt = record.recordedAt;
      completed.push(...builder.append(leaf));
      next++;
      for (; cpAt < cps.length && cps[cpAt]!.size === next; cpAt++) {
        const cp = cps[cpAt]!;
        if (!builder.root().equals(cp.rootHash)) {
          // Leaves and nodes were rewritten consistently: only the signature knows. The first
          // record not covered by an intact earlier checkpoint is as precise as that allows.
          fail({
            code: 'CHECKPOINT_ROOT_MISMATCH',
            index: prevCovered,
            checkpointSize: cp.size,
            detail: `records ${prevCovered}..${cp.size - 1} no longer match the checkpoint of size ${cp.size}`,
          });
        }
        prevCovered = cp.size;
      }
    }
    await checkNodes(store, completed);
    if (rows.length - skip < batch) break;
  }
  const beyond = cps.find((c) => c.size > next);
  if (beyond)
    fail({ code: 'CHECKPOINT_BEYOND_RECORDS', index: next, checkpointSize: beyond.size, detail: `records from ${next} to ${beyond.size - 1} were dropped` });
  return { records: next, ...(firstUnsignedAt !== undefined ? { firstUnsignedAt } : {}) };
}

async function checkNodes(store: AuditStore, completed: { id: NodeId; hash: Buffer }[]): Promise<void> {
  if (completed.length === 0) return;
  let stored: Buffer[];
  try {
    stored = await store.nodes(completed.map((c) => c.id));
  } catch {
    stored = [];
  }
  completed.forEach((c, k) => {
    if (!stored[k]?.equals(c.hash)) {
      const first = c.id.index * 2 ** c.id.level;
      fail({ code: 'NODE_MISMATCH', index: first, detail: `stored tree node over records ${first}..${first + 2 ** c.id.level - 1} is wrong or missing` });
    }
  });
}
