/**
 * "No regression" in numbers: a figure's same-run ratio now against the same figure's ratio in
 * the reference run (the tree before the re-layout). Ratios, not absolute rates: on a shared
 * machine the load moves both sides of a ratio together.
 */
import type { Figure } from './result.js';

export type Verdict = 'better' | 'same' | 'worse';

export interface Comparison {
  /** Relative change of the ratio, signed so that positive is an improvement. */
  change: number;
  verdict: Verdict;
}

/**
 * Better or worse only when the change of the median ratio is beyond the figure's noise band and,
 * when both sides were repeated, every run of one side beats every run of the other (with 3 runs
 * a side, a chance ordering that clean has odds of 1 in 20).
 */
export function compare(now: Figure, before: Figure | undefined): Comparison | undefined {
  if (now.ratio === undefined || before?.ratio === undefined || now.ratio <= 0 || before.ratio <= 0) return undefined;
  const up = now.better === 'higher' ? 1 : -1;
  const change = up > 0 ? now.ratio / before.ratio - 1 : before.ratio / now.ratio - 1;
  const a = (now.ratioSamples ?? [now.ratio]).map((x) => x * up);
  const b = (before.ratioSamples ?? [before.ratio]).map((x) => x * up);
  const repeated = a.length > 1 && b.length > 1;
  const verdict: Verdict =
    change > now.tolerance && (!repeated || Math.min(...a) > Math.max(...b))
      ? 'better'
      : change < -now.tolerance && (!repeated || Math.max(...a) < Math.min(...b))
        ? 'worse'
        : 'same';
  return { change, verdict };
}

export function changeText(c: Comparison): string {
  const pct = Math.round(c.change * 100);
  return `${pct > 0 ? '+' : pct < 0 ? '−' : '±'}${Math.abs(pct)} %`;
}
