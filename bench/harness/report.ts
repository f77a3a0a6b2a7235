/**
 * What a bench calls when it is done: turns its measurements into figures, adds the machine facts
 * (load average at start and end), the commit and the command, prints a table and writes the run
 * into bench/results/<name>.json (or to $CHAINWATCH_BENCH_OUT when the runner collects repeats).
 * Import it first: the load average "at start" is taken when this module loads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitOf, loadNow, machineFacts } from './machine.js';
import { storeRun, type Figure, type Run } from './result.js';
import { figuresOf, measurementsOf, type BenchSpec, type Values } from './spec.js';

const started = { date: new Date().toISOString(), load: loadNow(), t: performance.now() };
const ROOT = join(import.meta.dirname, '..', '..');

export function commandOf(spec: BenchSpec, args: readonly string[]): string {
  const file = `bench/${spec.name}.bench.ts`;
  const tail = args.length ? ` ${args.join(' ')}` : '';
  return spec.nodeArgs.length ? `node ${spec.nodeArgs.join(' ')} --import tsx ${file}${tail}` : `npx tsx ${file}${tail}`;
}

const num = (n: number): string => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(n));

export function figureTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) =>
    [
      f.label,
      `${num(f.value)} ${f.unit}`,
      f.baseline ? `${num(f.baseline.value)} ${f.baseline.unit}` : '—',
      f.ratio === undefined ? '—' : String(f.ratio),
      f.target?.text ?? '—',
      f.met === undefined ? '—' : f.met ? 'yes' : 'NO',
    ].join(' | '),
  );
  return ['figure | measured | baseline (same run) | ratio | target | met', '--- | --- | --- | --- | --- | ---', ...rows].join('\n');
}

export function report(spec: BenchSpec, values: Values, remarks: string[] = []): Run {
  const measurements = measurementsOf(spec, values);
  const run: Run = {
    tree: 'current',
    commit: commitOf(ROOT),
    date: started.date,
    durationSeconds: Math.round((performance.now() - started.t) / 100) / 10,
    command: commandOf(spec, process.argv.slice(2)),
    repeats: 1,
    machine: machineFacts(started.load, loadNow()),
    measurements,
    figures: figuresOf(spec, measurements),
    remarks,
  };
  console.log(
    `\n${spec.title}: ${run.date}, ${run.machine.cores} x ${run.machine.cpuModel}, node ${run.machine.node}, load ${run.machine.loadStart.join(' ')} -> ${run.machine.loadEnd.join(' ')}\n`,
  );
  console.log(figureTable(run.figures));
  for (const r of remarks) console.log(`\nnote: ${r}`);
  const out = process.env.CHAINWATCH_BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify(run));
  else console.log(`\nwrote ${storeRun(spec, run)} (run \`npm run docs\` to update docs/benchmarks.md)`);
  return run;
}
