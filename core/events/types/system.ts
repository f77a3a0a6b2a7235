import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * A synthetic event that flows through the whole pipeline. Used by `chainwatch events publish`
 * smoke tests, the bus contract suite and benchmarks; `payload` pads it to a chosen size.
 */
export const ProbeEvent = defineEventType({
  type: 'dev.chainwatch.system.probe.v1',
  family: 'system',
  description: 'A synthetic probe used to check the pipeline end to end (tests, canaries, benchmarks).',
  subject: 'free-form probe name; events with one subject stay ordered',
  schema: z.object({
    seq: z.number().int().nonnegative(),
    note: z.string().max(1000).optional(),
    payload: z.string().max(1_000_000).optional(),
    /** Test hook: a handler that sees fail=true throws (drives dead-letter tests). */
    fail: z.boolean().optional(),
  }),
});
