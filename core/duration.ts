import { z } from 'zod';
import { markConfigField } from './config-fields.js';

/**
 * The one duration convention of every config section: a string with a unit ('500ms', '30s',
 * '5m', '1h', '7d') under a key without a unit suffix; parsed configs hold milliseconds. A bare
 * number still parses as milliseconds (programmatic configs, one release of old files: the loader
 * warns about those).
 */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of "500ms" / "30s" / "5m" / "1h" / "7d"; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]) : undefined;
}

/** The shortest exact spelling of `ms` in the largest unit that divides it: 90000 -> "90s", 7200000 -> "2h". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** Milliseconds from a number (ms) or "500ms" / "30s" / "5m" / "1h" / "7d". */
export const durationSchema = markConfigField(
  z
    .union([z.number().int().nonnegative(), z.string().regex(DURATION, 'a duration like 500ms, 30s, 5m, 1h, 7d')])
    .transform((v) => (typeof v === 'number' ? v : parseDuration(v)!)),
  'duration',
);

/** A duration with bounds (milliseconds, inclusive), named in the message in duration syntax. */
export function duration(bounds: { min?: number; max?: number } = {}): typeof durationSchema {
  const { min, max } = bounds;
  let s = durationSchema;
  if (min !== undefined) s = s.refine((ms) => ms >= min, min === 1 ? 'must be longer than 0' : `must be at least ${formatDuration(min)}`);
  if (max !== undefined) s = s.refine((ms) => ms <= max, `must be at most ${formatDuration(max)}`);
  return s;
}
