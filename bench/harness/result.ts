/**
 * The shape of bench/results/<name>.json: the contract between the benches (writers) and
 * scripts/gen-benchmarks.ts (which renders docs/benchmarks.md from it). One file per bench holds
 * its latest run ("current") and the same bench measured on the tree before the re-layout
 * ("reference"), so every later run can compare its same-run ratios against that one.
 * Hand-written prose lives in `notes` (keyed by figure id, or "general") and survives re-runs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

/** Units as measured: MiB means bytes / 1024², never MB. */
export const unitSchema = z.enum([
  'events/s',
  'records/s',
  'findings/s',
  'hashes/s',
  'leaves/s',
  'verifies/s',
  'signatures/s',
  'entries/s',
  'entries/CPU-s',
  'events/CPU-s',
  'verifies/CPU-s',
  'evaluations/CPU-s',
  'documents/CPU-s',
  'µs',
  's',
  'MiB',
  'B',
  'count',
  'ratio',
]);
export type Unit = z.infer<typeof unitSchema>;

const checkSchema = z.object({ of: z.enum(['value', 'ratio']), op: z.enum(['>=', '<=']), bound: z.number() });
export type Check = z.infer<typeof checkSchema>;

export const figureSchema = z.object({
  id: z.string(),
  label: z.string(),
  value: z.number(),
  unit: unitSchema,
  /** Which direction is an improvement, for the value and for the ratio alike. */
  better: z.enum(['higher', 'lower']),
  baseline: z.object({ label: z.string(), value: z.number(), unit: unitSchema }).optional(),
  /** value / baseline, unless `ratioMethod` says how the bench computed it instead. */
  ratio: z.number().optional(),
  ratioMethod: z.string().optional(),
  /** With repeats: each run's own ratio, in run order; `ratio` is their median. */
  ratioSamples: z.array(z.number()).optional(),
  target: z.object({ text: z.string(), checks: z.array(checkSchema).min(1) }).optional(),
  met: z.boolean().optional(),
  /** Relative change of the ratio against the reference that still counts as noise. */
  tolerance: z.number().positive(),
});
export type Figure = z.infer<typeof figureSchema>;

export const measurementSchema = z.object({
  label: z.string(),
  value: z.number(),
  unit: unitSchema,
  /** One value per repeat when the runner repeated the bench; `value` is their median. */
  samples: z.array(z.number()).optional(),
});
export type Measurement = z.infer<typeof measurementSchema>;

const loadSchema = z.tuple([z.number(), z.number(), z.number()]);
export const machineSchema = z.object({
  cpuModel: z.string(),
  cores: z.number().int(),
  memoryGiB: z.number(),
  os: z.string(),
  node: z.string(),
  /** os.loadavg() (1, 5, 15 min) when the bench started and when it ended. */
  loadStart: loadSchema,
  loadEnd: loadSchema,
});
export type Machine = z.infer<typeof machineSchema>;

export const runSchema = z.object({
  tree: z.enum(['current', 'reference']),
  /** When the `npm run bench` invocation that made the run started; absent for a bench run by hand. */
  session: z.string().optional(),
  commit: z.string(),
  date: z.string(),
  durationSeconds: z.number(),
  command: z.string(),
  repeats: z.number().int().positive(),
  machine: machineSchema,
  measurements: z.record(z.string(), measurementSchema),
  figures: z.array(figureSchema),
  /** What the bench said about this run (e.g. a service that was not running). */
  remarks: z.array(z.string()),
});
export type Run = z.infer<typeof runSchema>;

export const resultSchema = z.object({
  bench: z.string(),
  title: z.string(),
  order: z.number().int(),
  /** The hand-written per-area page (method, profiles, history), relative to docs/. */
  page: z.string(),
  notes: z.record(z.string(), z.string()),
  current: runSchema.optional(),
  reference: runSchema.optional(),
});
export type Result = z.infer<typeof resultSchema>;

export function resultPath(bench: string, dir = RESULTS_DIR): string {
  return join(dir, `${bench}.json`);
}

export function readResult(bench: string, dir = RESULTS_DIR): Result | undefined {
  const file = resultPath(bench, dir);
  return existsSync(file) ? resultSchema.parse(JSON.parse(readFileSync(file, 'utf8'))) : undefined;
}

/** Stores `run` in its tree's slot, keeping the other slot and the hand-written notes. */
export function storeRun(bench: { name: string; title: string; order: number; page: string }, run: Run, dir = RESULTS_DIR): string {
  const previous = readResult(bench.name, dir);
  const next: Result = resultSchema.parse({
    bench: bench.name,
    title: bench.title,
    order: bench.order,
    page: bench.page,
    notes: previous?.notes ?? {},
    current: previous?.current,
    reference: previous?.reference,
    [run.tree]: run,
  });
  const file = resultPath(bench.name, dir);
  mkdirSync(dirname(file), { recursive: true });
  // Arrays of numbers (load averages, samples) on one line each: shorter files, readable diffs.
  const text = JSON.stringify(next, null, 2).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, xs: string) => `[${xs.split(/,\s+/).join(', ')}]`);
  writeFileSync(file, `${text}\n`);
  return file;
}
