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

export function compare(now: Figure, before: Figure | undefined): Comparison | undefined {
  if (now.ratio === undefined || before?.ratio === undefined || now.ratio <= 0 || before.ratio <= 0) return undefined;
  const change = now.better === 'higher' ? now.ratio / before.ratio - 1 : before.ratio / now.ratio - 1;
  const verdict: Verdict = change > now.tolerance ? 'better' : change < -now.tolerance ? 'worse' : 'same';
  return { change, verdict };
}

export function changeText(c: Comparison): string {
  const pct = Math.round(c.change * 100);
  return `${pct > 0 ? '+' : pct < 0 ? '−' : '±'}${Math.abs(pct)} %`;
}
