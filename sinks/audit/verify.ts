import { describeError } from '../../core/index.js';
import {
  leafHash,
  verifyConsistency,
  type Checkpoint,
  type NoteVerifier,
  consistencyProof,
  TreeBuilder,
  type NodeId,
  DEFAULT_STRIDE,
} from '../../core/tlog/index.js';
import { canonicalJson } from '../../core/index.js';
import { openAuditCheckpoint } from './checkpoint.js';
import { type IntegrityProblem, type Verdict, verdictOf } from './errors.js';
import type { AuditStore, TableCensus } from './port.js';
import { parseRecordBody, recordFields, sameFields } from './record.js';

/**
 * `audit verify`: trusts nothing the store says except what a signature covers. It
 *  1. checks every checkpoint's signature (stored ones and any the auditor kept elsewhere),
 *  2. walks the records in order, recomputing each leaf from the body (gaps, reordering, edits,
 *     rewritten searchable fields), and the stored node cache against the recomputed tree,
 *  3. compares the recomputed root with every checkpoint as the walk reaches its size,
 *  4. proves consecutive checkpoints consistent (RFC 9162 proof from the verified node cache),
 *  5. refuses a checkpoint that covers records the store no longer has, and any row stored outside
 *     [0, size) (the walk starts below 0, so a forged negative index cannot hide before it),
 *  6. and, given the configured cadence, refuses signatures that should exist and do not: a gap
 *     between checkpoints, or an unsigned tail, longer or older than the sink ever leaves one.
 *     Deleting checkpoints needs no key; without step 6 it would turn a rewritten history into an
 *     "intact" one. That is `unverifiable` (exit 3), not `broken`: nothing signed is contradicted.
 *  7. (before 6) counts every row of every table (records, fields, each stored node level,
 *     checkpoints) and compares count, min and max with what the verified size implies: the walk
 *     only reads rows it asks for, so a forged extra fields or nodes row would otherwise go unseen.
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
  verdict: Verdict;
  records: number;
  checkpoints: number;
  latest?: { size: number; rootHash: string };
  problem?: IntegrityFailure;
  /** Records after the latest checkpoint (inclusive range), when there are any. */
  unsigned?: { from: number; to: number };
}

/**
 * How often the sink signs (sinks.audit checkpointEvery / maxBatch / checkpointInterval). The sink
 * signs at the exact size where a batch crosses `every` records since the last checkpoint, on a
 * timer every `intervalMs`, at start (after a crash) and at stop; so no two consecutive
 * checkpoints are more than every + maxBatch - 1 records apart, and no record stays unsigned much
 * longer than one interval while the daemon runs.
 */
export interface Cadence {
  every: number;
  maxBatch: number;
  intervalMs: number;
}

/** Signing takes a moment after the timer fires; a record older than two intervals plus this was not signed in time. */
const INTERVAL_GRACE_MS = 30_000;

export interface VerifyOptions {
  /** Signed checkpoints kept outside the store (an auditor's copies), as note text. */
  extraCheckpoints?: readonly string[];
  batch?: number;
  /** Check that no signature the cadence guarantees is missing (step 6); skipped when absent. */
  cadence?: Cadence;
  /** For the age of the unsigned tail. */
  now?: Date;
  /** The key history's validity ranges: each checkpoint must verify under a key whose range covers its size. */
  keyRanges?: readonly KeyRange[];
}

export interface KeyRange {
  verifier: NoteVerifier;
  fromSize?: number;
  toSize?: number;
}

class Broken extends Error {
  constructor(readonly failure: IntegrityFailure) {
    super(failure.detail);
  }
}
const fail = (f: IntegrityFailure): never => {
  throw new Broken(f);
};

export async function verifyAuditTrail(store: AuditStore, verifier: NoteVerifier | readonly NoteVerifier[], opts: VerifyOptions = {}): Promise<VerifyReport> {
  let walk: Walk = { records: 0 };
  let checkpoints: Checkpoint[] = [];
  const unsigned = (): Pick<VerifyReport, 'unsigned'> => {
    const from = checkpoints[checkpoints.length - 1]?.size ?? 0;
    return walk.records > from ? { unsigned: { from, to: walk.records - 1 } } : {};
  };
  try {
    const stored = await store.listCheckpoints().then((l) => l.map((c) => c.note));
    checkpoints = openCheckpoints(stored, opts.extraCheckpoints ?? [], verifier, opts.keyRanges);
    walk = await walkRecords(store, checkpoints, opts.batch ?? 2000);
    await checkConsistency(store, checkpoints);
    checkCensus(await store.census(), walk.records, stored.length);
    if (opts.cadence) checkCadence(checkpoints, walk, opts.cadence, opts.now ?? new Date());
  } catch (err) {
    if (!(err instanceof Broken)) throw err;
    return { ok: false, verdict: verdictOf(err.failure.code), records: walk.records, checkpoints: checkpoints.length, problem: err.failure, ...unsigned() };
  }
  const last = checkpoints[checkpoints.length - 1];
  return {
    ok: true,
    verdict: 'intact',
    records: walk.records,
    checkpoints: checkpoints.length,
    ...(last ? { latest: { size: last.size, rootHash: last.rootHash.toString('hex') } } : {}),
    ...unsigned(),
  };
}

/** What the walk learnt: the record count, and when the first record after the latest checkpoint was recorded. */
interface Walk {
  records: number;
  firstUnsignedAt?: string;
}

/** Step 6. */
function checkCadence(cps: Checkpoint[], walk: Walk, cadence: Cadence, now: Date): void {
  const allowed = cadence.every + cadence.maxBatch - 1;
  const rule = `checkpointEvery ${cadence.every} with maxBatch ${cadence.maxBatch} leaves at most ${allowed} records between checkpoints`;
  let prev = 0;
  for (const cp of cps) {
    if (cp.size - prev > allowed) {
      fail({
        code: 'CHECKPOINT_MISSING',
        index: prev,
        checkpointSize: cp.size,
        detail: `no signed checkpoint between sizes ${prev} and ${cp.size} (${cp.size - prev} records; ${rule}): checkpoints were deleted`,
      });
    }
    prev = cp.size;
  }
  if (walk.records <= prev) return;
  const range = `records ${prev}..${walk.records - 1} are not covered by any signed checkpoint`;
  if (walk.records - prev > allowed) fail({ code: 'UNSIGNED_RANGE', index: prev, detail: `${range} (${walk.records - prev} records; ${rule})` });
  const age = now.getTime() - Date.parse(walk.firstUnsignedAt ?? '');
  if (!(age <= 2 * cadence.intervalMs + INTERVAL_GRACE_MS)) {
    fail({
      code: 'UNSIGNED_RANGE',
      index: prev,
      detail: `${range}; the first was recorded at ${walk.firstUnsignedAt} and checkpointInterval is ${cadence.intervalMs / 1000}s (a crash before signing, or deleted checkpoints)`,
    });
  }
}

type Range = Pick<TableCensus, 'count' | 'min' | 'max'>;
const dense = (count: number): Range => ({ count, min: count > 0 ? 0 : null, max: count > 0 ? count - 1 : null });
const show = (r: Range): string => `${r.count} rows, index ${r.min ?? '-'}..${r.max ?? '-'}`;

/** Step 7: what the store holds against what a verified tree of `size` records has. */
function checkCensus(census: readonly TableCensus[], size: number, storedCheckpoints: number): void {
  const name = (c: Pick<TableCensus, 'table' | 'level'>): string => (c.level === undefined ? c.table : `${c.table} level ${c.level}`);
  const expected = new Map<string, Range>([
    ['records', dense(size)],
    ['fields', dense(size)],
  ]);
  // Stored node levels: multiples of the stride above 0 (level 0 is the leaf hash beside each record).
  for (let level = DEFAULT_STRIDE; 2 ** level <= size; level += DEFAULT_STRIDE) expected.set(`nodes level ${level}`, dense(Math.floor(size / 2 ** level)));
  const seen = new Set<string>();
  for (const c of census) {
    const table = name(c);
    seen.add(table);
    if (c.table === 'checkpoints') {
      if (c.count !== storedCheckpoints || (c.max ?? 0) > size || (c.min ?? 0) < 0) {
        mismatch(table, `${storedCheckpoints} rows, sizes 0..${size}`, show(c));
      }
      continue;
    }
    const want = expected.get(table) ?? dense(0);
    if (c.count !== want.count || c.min !== want.min || c.max !== want.max) mismatch(table, show(want), show(c));
  }
  // A search backend keeps fields inside the record document: no separate census row for them.
  for (const [table, want] of expected) if (!seen.has(table) && want.count > 0 && table !== 'fields') mismatch(table, show(want), show(dense(0)));
}

function mismatch(table: string, expected: string, found: string): never {
  return fail({ code: 'ROW_CENSUS_MISMATCH', detail: `table ${table}: expected ${expected}, found ${found}` });
}

/** Step 1: signatures, merged by size; two different roots for one size is a split view. */
function openCheckpoints(
  stored: string[],
  extra: readonly string[],
  verifier: NoteVerifier | readonly NoteVerifier[],
  ranges?: readonly KeyRange[],
): Checkpoint[] {
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
    if (ranges) checkKeyRange(note, cp.size, ranges);
    const seen = bySize.get(cp.size);
    if (seen && !seen.rootHash.equals(cp.rootHash)) {
      fail({ code: 'CHECKPOINT_INCONSISTENT', checkpointSize: cp.size, detail: `two signed roots for tree size ${cp.size}` });
    }
    bySize.set(cp.size, cp);
  }
  return [...bySize.values()].sort((a, b) => a.size - b.size);
}

/** A checkpoint signed by a known key outside that key's range: signed by a retired (or not yet valid) key. */
function checkKeyRange(note: string, size: number, ranges: readonly KeyRange[]): void {
  const covering = ranges.filter((r) => (r.fromSize === undefined || size >= r.fromSize) && (r.toSize === undefined || size <= r.toSize));
  try {
    if (covering.length)
      return void openAuditCheckpoint(
        note,
        covering.map((r) => r.verifier),
      );
  } catch {
    // falls through
  }
  fail({
    code: 'CHECKPOINT_KEY_OUT_OF_RANGE',
    checkpointSize: size,
    detail: `checkpoint of size ${size} is signed by a key whose history range does not cover that size`,
  });
}

/** Below any index: the first page starts here so rows at negative positions come first. */
const LOWEST = Number.MIN_SAFE_INTEGER;

/** Steps 2, 3 and 5. */
async function walkRecords(store: AuditStore, cps: Checkpoint[], batch: number): Promise<Walk> {
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
      const leaf = leafHash(Buffer.from(row.body, 'utf8'));
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
