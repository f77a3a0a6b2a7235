import { z } from 'zod';
import { duration } from '../../../core/index.js';

/**
 * Config fields every followed log has, whatever its protocol (collectors.rekor[], collectors.ct.logs[]):
 * each collector's schema lists them by name, in its own order, beside its protocol's fields.
 */
export const logFollowerFields = {
  /** Where to begin on first run (no cursor yet): the current tree size, index 0, or a given index. */
  start: z.union([z.literal('now'), z.literal('beginning'), z.strictObject({ index: z.number().int().nonnegative() })]).default('now'),
  /** Pause between polling rounds. */
  pollInterval: duration({ min: 1 }).prefault('10s'),
  /** Batches fetched in parallel ahead of the in-order sequencer; publication stays in log order. */
  concurrency: z.number().int().min(1).max(64).default(4),
  rateLimit: z
    .strictObject({ requestsPerSecond: z.number().positive().default(20), burst: z.number().int().positive().optional() })
    .default({ requestsPerSecond: 20 }),
  /** Per HTTP request, until the last body byte. */
  requestTimeout: duration({ min: 1 }).prefault('30s'),
  /** Name of this vantage point in checkpoint/anomaly events. */
  vantage: z.string().min(1).default('primary'),
  /**
   * A log whose tree does not grow is still re-verified every poll; its unchanged checkpoint is
   * re-published at most this often, so detectors see it is alive (stale checks, clearing
   * "unreachable" findings) without a bus event per poll.
   */
  checkpointHeartbeat: duration().prefault('5m'),
};

/** Where a log is first followed from, without a cursor (the `start` field). */
export type StartAt = z.output<typeof logFollowerFields.start>;

/** The first index to publish of a log of `size` entries followed from `start` (capped at `size`). */
export function startIndex(start: StartAt, size: number): number {
  if (start === 'now') return size;
  if (start === 'beginning') return 0;
  return Math.min(start.index, size);
}
