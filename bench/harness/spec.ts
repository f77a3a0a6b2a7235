/**
 * What a bench measures and how its figures are derived: named measurements (numbers with units)
 * come out of a run; each figure picks one as its value, another as its same-run baseline, and may
 * carry a target. The same derivation serves the benches of this tree and the text output of the
 * benches on the tree before the re-layout (legacy.ts), so both sides are judged alike.
 */
import type { Check, Figure, Measurement, Unit } from './result.js';

export type Service = 'kafka' | 'opensearch' | 'rekor' | 'softhsm' | 'ocireg' | 'ctlog' | 'kube';

export interface FigureSpec {
  id: string;
  label: string;
  /** Measurement keys. */
  value: string;
  baseline?: string;
  /** A measurement holding the ratio when the bench computes it itself (e.g. a median of pairs). */
  ratio?: { measurement: string; method: string };
  better: 'higher' | 'lower';
  checks?: Check[];
  /**
   * Relative change of the ratio against the reference run that counts as noise (default 0.10),
   * set from the spread of per-run ratios in repeated runs on the shared 2-core machine.
   */
  tolerance?: number;
}

export interface BenchSpec {
  /** bench/<name>.bench.ts writes bench/results/<name>.json. */
  name: string;
  title: string;
  order: number;
  page: string;
  /** Arguments `npm run bench` passes (the figures in the results were measured with these). */
  args: string[];
  nodeArgs: string[];
  /** Services the runner starts (under the shared services lock) before the bench. */
  services: Service[];
  measurements: Record<string, { label: string; unit: Unit }>;
  figures: FigureSpec[];
}

export type Values = Record<string, number | undefined>;

const fmt = (n: number): string => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(n));

/** Rounds for storage: enough digits to compare runs, few enough to keep diffs readable. */
export function tidy(n: number): number {
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n);
  if (a >= 10) return Math.round(n * 10) / 10;
  return a === 0 ? 0 : Number(n.toPrecision(3));
}

export function targetText(checks: Check[], unit: Unit): string {
  return checks
    .map((c) => `${c.of === 'ratio' ? 'ratio' : 'value'} ${c.op === '>=' ? '≥' : '≤'} ${fmt(c.bound)}${c.of === 'ratio' ? '' : ` ${unit}`}`)
    .join(' and ');
}

export function measurementsOf(spec: BenchSpec, values: Values): Record<string, Measurement> {
  const out: Record<string, Measurement> = {};
  for (const [key, m] of Object.entries(spec.measurements)) {
    const v = values[key];
    if (v !== undefined && Number.isFinite(v)) out[key] = { label: m.label, unit: m.unit, value: tidy(v) };
  }
  for (const key of Object.keys(values)) if (!(key in spec.measurements)) throw new Error(`${spec.name}: unknown measurement '${key}'`);
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * The ratio of each repeat, from the samples of a repeated run: a ratio is only meaningful within
 * one run, so repeats are combined as the median of their ratios, not the ratio of medians.
 */
function ratiosPerRun(value: Measurement, baseline: Measurement | undefined, given: Measurement | undefined): number[] | undefined {
  if (given) return given.samples;
  const v = value.samples;
  const b = baseline?.samples;
  return v && b && v.length === b.length ? v.map((x, i) => x / b[i]!) : undefined;
}

/** Figures whose measurements are all present; the others are left out (e.g. a service was down). */
export function figuresOf(spec: BenchSpec, m: Record<string, Measurement>): Figure[] {
  const figures: Figure[] = [];
  for (const f of spec.figures) {
    const value = m[f.value];
    const baseline = f.baseline === undefined ? undefined : m[f.baseline];
    const given = f.ratio === undefined ? undefined : m[f.ratio.measurement];
    if (!value || (f.baseline !== undefined && !baseline) || (f.ratio !== undefined && !given)) continue;
    const perRun = ratiosPerRun(value, baseline, given)?.map(tidy);
    const ratio = perRun ? tidy(median(perRun)) : given ? given.value : baseline ? tidy(value.value / baseline.value) : undefined;
    const met = f.checks?.every((c) => {
      const x = c.of === 'value' ? value.value : ratio;
      if (x === undefined) throw new Error(`${spec.name}/${f.id}: a ratio target needs a baseline or a ratio measurement`);
      return c.op === '>=' ? x >= c.bound : x <= c.bound;
    });
    figures.push({
      id: f.id,
      label: f.label,
      value: value.value,
      unit: value.unit,
      better: f.better,
      ...(baseline ? { baseline: { label: baseline.label, value: baseline.value, unit: baseline.unit } } : {}),
      ...(ratio !== undefined ? { ratio } : {}),
      ...(perRun ? { ratioSamples: perRun } : {}),
      ...(f.ratio ? { ratioMethod: f.ratio.method } : {}),
      ...(f.checks ? { target: { text: targetText(f.checks, value.unit), checks: f.checks }, met } : {}),
      tolerance: f.tolerance ?? 0.1,
    });
  }
  return figures;
}

/**
 * Median per measurement over repeated runs; the single values are kept as samples, in run order.
 * A measurement missing from any repeat is left out, so samples of one index belong to one run.
 */
export function medianOf(runs: Record<string, Measurement>[]): Record<string, Measurement> {
  if (runs.length === 1) return runs[0]!;
  const out: Record<string, Measurement> = {};
  for (const [key, first] of Object.entries(runs[0]!)) {
    if (!runs.every((r) => r[key] !== undefined)) continue;
    const samples = runs.map((r) => r[key]!.value);
    out[key] = { ...first, value: tidy(median(samples)), samples };
  }
  return out;
}
