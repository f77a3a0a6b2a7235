import type { Checkpoint } from '../../../core/tlog/index.js';
import { fail } from './failure.js';
import type { Walk } from './walk.js';

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

/**
 * Step 7: signatures the cadence guarantees must exist: no gap between checkpoints, and no
 * unsigned tail, longer or older than the sink ever leaves one. Deleting checkpoints needs no
 * key; without this step it would turn a rewritten history into an "intact" one. What it finds
 * is `unverifiable` (exit 3), not `broken`: nothing signed is contradicted.
 */
export function verifyCadence(cps: readonly Checkpoint[], walk: Walk, cadence: Cadence, now: Date): void {
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
