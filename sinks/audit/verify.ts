import type { Checkpoint, NoteVerifier } from '../../core/tlog/index.js';
import { type Verdict, verdictOf } from './errors.js';
import type { AuditStore } from './port.js';
import { type Cadence, verifyCadence } from './verify/cadence.js';
import { verifyCensus } from './verify/census.js';
import { verifyConsistencyOf } from './verify/consistency.js';
import { Broken, type IntegrityFailure } from './verify/failure.js';
import { type KeyRange, verifySignatures } from './verify/signatures.js';
import { type Walk, walkRecords } from './verify/walk.js';
import { verifyWitnesses, type WitnessPolicy } from './verify/witnesses.js';

export type { Cadence, IntegrityFailure, KeyRange, WitnessPolicy };

/**
 * `audit verify`: trusts nothing the store says except what a signature covers. A checklist of
 * steps (one module each under verify/), each throwing the first problem it finds:
 *  1. signatures: every checkpoint (stored, and the auditor's copies) verifies, under a key whose
 *     history range covers its size; 1b. with required witnesses, the latest is cosigned by them;
 *  2. walk: every leaf is recomputed from its record, and the stored node cache checked;
 *  3. roots: the recomputed root equals each checkpoint's as the walk reaches its size;
 *  4. consistency: consecutive checkpoints are one append-only history (RFC 9162 proofs);
 *  5. bounds: no checkpoint covers dropped records, no row sits outside [0, size);
 *  6. census: every row of every table is accounted for (count, min, max);
 *  7. cadence: no signature the configured cadence guarantees is missing (`unverifiable`).
 * Steps 2, 3 and 5 are one pass over the records (verify/walk.ts). The first problem in record
 * order is reported, naming the record (or checkpoint). The key history itself (KEY_HISTORY_TAMPERED)
 * is checked before the store is read, by the command (verify-command.ts).
 */
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

export interface VerifyOptions {
  /** Signed checkpoints kept outside the store (an auditor's copies), as note text. */
  extraCheckpoints?: readonly string[];
  batch?: number;
  /** Check that no signature the cadence guarantees is missing (step 7); skipped when absent. */
  cadence?: Cadence;
  /** For the age of the unsigned tail. */
  now?: Date;
  /** The key history's validity ranges: each checkpoint must verify under a key whose range covers its size. */
  keyRanges?: readonly KeyRange[];
  /** Required witnesses (step 1b): the latest checkpoint must carry their cosignatures. */
  witnesses?: WitnessPolicy;
}

export async function verifyAuditTrail(store: AuditStore, verifier: NoteVerifier | readonly NoteVerifier[], opts: VerifyOptions = {}): Promise<VerifyReport> {
  let walk: Walk = { records: 0 };
  let checkpoints: Checkpoint[] = [];
  const unsigned = (): Pick<VerifyReport, 'unsigned'> => {
    const from = checkpoints[checkpoints.length - 1]?.size ?? 0;
    return walk.records > from ? { unsigned: { from, to: walk.records - 1 } } : {};
  };
  try {
    const stored = await store.listCheckpoints().then((l) => l.map((c) => c.note));
    checkpoints = verifySignatures(stored, opts.extraCheckpoints ?? [], verifier, opts.keyRanges); // 1
    walk = await walkRecords(store, checkpoints, opts.batch ?? 2000); // 2, 3, 5
    if (opts.witnesses) verifyWitnesses([...stored, ...(opts.extraCheckpoints ?? [])], opts.witnesses, walk.records); // 1b
    await verifyConsistencyOf(store, checkpoints); // 4
    verifyCensus(await store.census(), walk.records, stored.length); // 6
    if (opts.cadence) verifyCadence(checkpoints, walk, opts.cadence, opts.now ?? new Date()); // 7
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
