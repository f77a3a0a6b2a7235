import { describeError } from '../../core/index.js';
import { leafHash, verifyConsistency, type Checkpoint, type NoteVerifier, consistencyProof, TreeBuilder, type NodeId } from '../../core/tlog/index.js';
import { canonicalJson } from '../../core/index.js';
import { openAuditCheckpoint } from './checkpoint.js';
import type { IntegrityProblem } from './errors.js';
import type { AuditStore } from './port.js';
import { parseRecordBody, recordFields, sameFields } from './record.js';

/**
 * `audit verify`: trusts nothing the store says except what a signature covers. It
 *  1. checks every checkpoint's signature (stored ones and any the auditor kept elsewhere),
 *  2. walks the records in order, recomputing each leaf from the body (gaps, reordering, edits,
 *     rewritten searchable fields), and the stored node cache against the recomputed tree,
 *  3. compares the recomputed root with every checkpoint as the walk reaches its size,
 *  4. proves consecutive checkpoints consistent (RFC 9162 proof from the verified node cache),
 *  5. and refuses a checkpoint that covers records the store no longer has.
 * The first problem in record order is reported, naming the record (or checkpoint).
 */
export interface IntegrityFailure {
  code: IntegrityProblem;
  /** The first record that is not intact, when known. */
  index?: number;
  /** The checkpoint involved, when the problem is about one. */
  checkpointSize?: number;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  checkpoints: number;
  latest?: { size: number; rootHash: string };
  problem?: IntegrityFailure;
}

export interface VerifyOptions {
  /** Signed checkpoints kept outside the store (an auditor's copies), as note text. */
  extraCheckpoints?: readonly string[];
  batch?: number;
}

class Broken extends Error {
  constructor(readonly failure: IntegrityFailure) {
    super(failure.detail);
  }
}
const fail = (f: IntegrityFailure): never => {
  throw new Broken(f);
};

export async function verifyAuditTrail(store: AuditStore, verifier: NoteVerifier, opts: VerifyOptions = {}): Promise<VerifyReport> {
  let records = 0;
  let checkpoints: Checkpoint[] = [];
  try {
    checkpoints = openCheckpoints(await store.listCheckpoints().then((l) => l.map((c) => c.note)), opts.extraCheckpoints ?? [], verifier);
    records = await walkRecords(store, checkpoints, opts.batch ?? 2000);
    await checkConsistency(store, checkpoints);
  } catch (err) {
    if (!(err instanceof Broken)) throw err;
    return { ok: false, records, checkpoints: checkpoints.length, problem: err.failure };
  }
  const last = checkpoints[checkpoints.length - 1];
  return { ok: true, records, checkpoints: checkpoints.length, ...(last ? { latest: { size: last.size, rootHash: last.rootHash.toString('hex') } } : {}) };
}

/** Step 1: signatures, merged by size; two different roots for one size is a split view. */
function openCheckpoints(stored: string[], extra: readonly string[], verifier: NoteVerifier): Checkpoint[] {
  const bySize = new Map<number, Checkpoint>();
  for (const note of [...stored, ...extra]) {
    let cp: Checkpoint;
    try {
      cp = openAuditCheckpoint(note, verifier);
    } catch (err) {
      const size = /\n(\d+)\n/.exec(note)?.[1];
      return fail({
        code: 'CHECKPOINT_SIGNATURE_INVALID',
        ...(size ? { checkpointSize: Number(size) } : {}),
        detail: `checkpoint does not verify: ${describeError(err).code}`,
      });
    }
    const seen = bySize.get(cp.size);
    if (seen && !seen.rootHash.equals(cp.rootHash)) {
      fail({ code: 'CHECKPOINT_INCONSISTENT', checkpointSize: cp.size, detail: `two signed roots for tree size ${cp.size}` });
    }
    bySize.set(cp.size, cp);
  }
  return [...bySize.values()].sort((a, b) => a.size - b.size);
}

/** Steps 2, 3 and 5. Returns the number of records. */
async function walkRecords(store: AuditStore, cps: Checkpoint[], batch: number): Promise<number> {
  const builder = TreeBuilder.empty();
  let next = 0;
  let cpAt = 0;
  let prevCovered = 0;
  for (;;) {
    // Each page re-reads the last verified position: a second row stored there (a search backend
    // holds one document per _id per index, so a forged twin can sit in another index) must not
    // hide behind the page boundary.
    const from = next > 0 ? next - 1 : 0;
    const rows = await store.scan(from, from < next ? batch + 1 : batch);
    const skip = from < next && rows[0]?.position === from ? 1 : 0;
    const completed: { id: NodeId; hash: Buffer }[] = [];
    for (const row of rows.slice(skip)) {
      const i = next;
      if (row.position >= 0 && row.position < i) {
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
      const leaf = leafHash(Buffer.from(row.body, 'utf8'));
      if (!leaf.equals(row.leafHash)) fail({ code: 'RECORD_HASH_MISMATCH', index: i, detail: `record ${i} does not match its leaf hash: it was edited` });
      if (!sameFields(recordFields(record), row.fields)) {
        fail({ code: 'RECORD_FIELDS_MISMATCH', index: i, detail: `searchable fields of record ${i} differ from its signed body` });
      }
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
  return next;
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

/** Step 4: the node cache is verified by now, so proofs built from it are the recomputed tree's. */
async function checkConsistency(store: AuditStore, cps: Checkpoint[]): Promise<void> {
  for (let k = 1; k < cps.length; k++) {
    const a = cps[k - 1]!;
    const b = cps[k]!;
    try {
      const proof = await consistencyProof(a.size, b.size, (ids) => store.nodes(ids));
      verifyConsistency(a.size, b.size, proof, a.rootHash, b.rootHash);
    } catch (err) {
      fail({
        code: 'CHECKPOINT_INCONSISTENT',
        index: a.size,
        checkpointSize: b.size,
        detail: `checkpoints ${a.size} and ${b.size} are not consistent: ${describeError(err).code}`,
      });
    }
  }
}
