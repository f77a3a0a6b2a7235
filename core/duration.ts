import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds from a number (ms) or "500ms" / "30s" / "5m" / "1h" / "7d". */
export const durationSchema = z.union([z.number().int().nonnegative(), z.string().regex(DURATION, 'a duration like 30s, 5m, 1h, 7d')]).transform((v) => {
  if (typeof v === 'number') return v;
  const m = DURATION.exec(v)!;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
});
