/**
 * `npm run bench`: runs every bench (or the named ones) with the arguments of specs.ts, writes
 * bench/results/<name>.json and regenerates docs/benchmarks.md.
 *
 *   npm run bench                              every bench
 *   npm run bench -- audit rekor               only these
 *   npm run bench -- --base ../wt-bench-base   also run the same benches on that tree (a worktree
 *                                              of the commit before the re-layout, npm ci done)
 *                                              in the same session, as the reference
 *   npm run bench -- --repeat 2                run each bench (and its reference) twice, order
 *                                              alternating (ABBA); medians are recorded
 *   --quiet 30      before each run, wait (up to --max-wait seconds, default 600) until the whole
 *                   machine is at most 30 % busy (the default; 100 turns waiting off)
 *   --no-services   do not start Kafka/OpenSearch (use what the environment points at)
 *   --no-build      skip `npm run build` (the embedded-bus bench starts the daemon from dist/)
 *   --refigure      measure nothing: derive the figures of the recorded runs again from their
 *                   measurements (after changing a label, baseline, target or noise band in
 *                   specs.ts), then regenerate the page
 *
 * Benches that need services run under `flock /tmp/chainwatch-services.lock` with the services
 * started by bench/with-services.sh: the ports are fixed and shared by everyone on the machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCHMARKS_DOC, benchmarksMarkdown } from '../scripts/gen-benchmarks.js';
import { changeText, compare } from './harness/compare.js';
import { LEGACY_ARGS, parseLegacy } from './harness/legacy.js';
import { commitOf, loadNow, machineFacts } from './harness/machine.js';
import { waitForQuiet } from './harness/quiet.js';
import { commandOf } from './harness/report.js';
import { readResult, runSchema, storeRun, type Measurement, type Run } from './harness/result.js';
import { figuresOf, measurementsOf, medianOf, type BenchSpec } from './harness/spec.js';
import { BENCHES, benchSpec } from './harness/specs.js';

const ROOT = resolve(import.meta.dirname, '..');
const LOCK = '/tmp/chainwatch-services.lock';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    base: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    quiet: { type: 'string', default: '30' },
    'max-wait': { type: 'string', default: '600' },
    'no-services': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    refigure: { type: 'boolean', default: false },
    // Set when this script re-runs itself inside with-services.sh: services are up, the lock held.
    inner: { type: 'boolean', default: false },
    session: { type: 'string' },
  },
});
const repeat = Number(opts.repeat);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${opts.repeat}`);
const maxBusy = Number(opts.quiet) / 100;
// Inside the services lock everyone else's integration tests wait for us: wait at most a minute there.
const maxWaitMs = Math.min(Number(opts['max-wait']) * 1000, opts.inner ? 60_000 : Infinity);
if (!(maxBusy > 0) || !(maxWaitMs >= 0)) throw new Error('--quiet takes a percentage above 0, --max-wait seconds');
const base = opts.base === undefined ? undefined : resolve(opts.base);
const selected = positionals.length ? positionals.map(benchSpec) : [...BENCHES];
/** Runs recorded by one invocation share this: "before" and "now" measured in the same session. */
const session = opts.session ?? new Date().toISOString();

interface Child {
  code: number;
  stdout: string;
}

/** Runs a child with stderr passed through and stdout both shown and captured. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Child> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => done({ code: code ?? (signal ? 128 : 1), stdout }));
  });
}

function benchArgs(spec: BenchSpec, args: readonly string[]): string[] {
  return [...spec.nodeArgs, '--import', 'tsx', `bench/${spec.name}.bench.ts`, ...args];
}

/** One run of this tree's bench: it writes its Run to a temporary file we read back. */
async function runCurrent(spec: BenchSpec): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-run-'));
  const out = join(dir, 'run.json');
  try {
    console.error(`\n== ${spec.name} (this tree): ${commandOf(spec, spec.args)}`);
    const r = await run(process.execPath, benchArgs(spec, spec.args), ROOT, { ...process.env, CHAINWATCH_BENCH_OUT: out });
    if (r.code !== 0) throw new Error(`bench ${spec.name} failed with exit code ${r.code}`);
    return runSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One run of the bench on the reference tree, which prints text: parsed into the same measurements. */
async function runReference(spec: BenchSpec, dir: string): Promise<Run> {
  const args = LEGACY_ARGS[spec.name] ?? spec.args;
  console.error(`\n== ${spec.name} (reference tree ${dir}): ${commandOf(spec, args)}`);
  const date = new Date().toISOString();
  const loadStart = loadNow();
  const t0 = performance.now();
  const r = await run(process.execPath, benchArgs(spec, args), dir);
  const loadEnd = loadNow();
  if (r.code !== 0) throw new Error(`reference bench ${spec.name} failed with exit code ${r.code}`);
  const measurements = measurementsOf(spec, parseLegacy(spec.name, r.stdout));
  const missing = Object.keys(spec.measurements).filter((k) => !(k in measurements));
  return {
    tree: 'reference',
    commit: commitOf(dir),
    date,
    durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
    command: commandOf(spec, args),
    repeats: 1,
    machine: machineFacts(loadStart, loadEnd),
    measurements,
    figures: figuresOf(spec, measurements),
    remarks: missing.length ? [`not in this run's output: ${missing.join(', ')}`] : [],
  };
}

/** Several runs of one tree as one: medians of each measurement, the load of the first start and last end. */
function combine(spec: BenchSpec, runs: Run[]): Run {
  const first = runs[0]!;
  const last = runs[runs.length - 1]!;
  const measurements: Record<string, Measurement> = medianOf(runs.map((r) => r.measurements));
  return {
    ...first,
    session,
    durationSeconds: Math.round(runs.reduce((s, r) => s + r.durationSeconds, 0) * 10) / 10,
    repeats: runs.length,
    machine: { ...first.machine, loadEnd: last.machine.loadEnd },
    measurements,
    figures: figuresOf(spec, measurements),
    remarks: [...new Set(runs.flatMap((r) => r.remarks))],
  };
}

/** Waits for a quiet machine, then runs; a run that could not wait says so. */
async function gated(go: () => Promise<Run>): Promise<Run> {
  const remark = maxBusy < 1 ? await waitForQuiet(maxBusy, maxWaitMs, (s) => console.error(`   ${s}`)) : undefined;
  const r = await go();
  return remark ? { ...r, remarks: [...r.remarks, remark] } : r;
}

/** Runs one bench on this tree (and the reference tree), alternating which goes first. */
async function benchLocally(spec: BenchSpec): Promise<void> {
  const now: Run[] = [];
  const before: Run[] = [];
  for (let i = 0; i < repeat; i++) {
    const referenceFirst = i % 2 === 0;
    if (base && referenceFirst) before.push(await gated(() => runReference(spec, base)));
    now.push(await gated(() => runCurrent(spec)));
    if (base && !referenceFirst) before.push(await gated(() => runReference(spec, base)));
  }
  storeRun(spec, combine(spec, now));
  if (before.length) storeRun(spec, combine(spec, before));
}

/** Re-runs this script for one bench under the services lock, with its services started. */
async function benchWithServices(spec: BenchSpec): Promise<void> {
  const self = [
    '--import',
    'tsx',
    relative(ROOT, import.meta.filename),
    '--inner',
    '--session',
    session,
    '--repeat',
    String(repeat),
    '--quiet',
    String(opts.quiet),
    '--max-wait',
    String(opts['max-wait']),
    ...(base ? ['--base', base] : []),
    spec.name,
  ];
  // Wait for quiet before taking the lock too: the wait inside it would keep everyone's tests waiting.
  if (maxBusy < 1) await waitForQuiet(maxBusy, maxWaitMs, (s) => console.error(`   ${s}`));
  console.error(`\n== ${spec.name}: waiting for ${LOCK}, then starting ${spec.services.join(', ')}`);
  const r = await run('flock', [LOCK, 'bash', 'bench/with-services.sh', spec.services.join(' '), '--', process.execPath, ...self], ROOT);
  if (r.code !== 0) throw new Error(`bench ${spec.name} with services failed with exit code ${r.code}`);
}

function summary(specs: readonly BenchSpec[]): string {
  const lines: string[] = [];
  for (const spec of specs) {
    const result = readResult(spec.name);
    for (const f of result?.current?.figures ?? []) {
      const c = compare(
        f,
        result?.reference?.figures.find((r) => r.id === f.id),
      );
      const target = f.met === undefined ? '' : f.met ? ' target met' : ' target NOT met';
      lines.push(`${spec.name}/${f.id}: ratio ${f.ratio ?? '—'}${target}${c ? `; vs reference ${changeText(c)} (${c.verdict})` : ''}`);
    }
  }
  return lines.join('\n');
}

/** Figures of the stored runs derived again from their measurements, with the specs as they are now. */
function refigure(spec: BenchSpec): void {
  const result = readResult(spec.name);
  for (const run of [result?.current, result?.reference]) if (run) storeRun(spec, { ...run, figures: figuresOf(spec, run.measurements) });
}

if (opts.refigure) {
  for (const spec of selected) refigure(spec);
  writeFileSync(BENCHMARKS_DOC, benchmarksMarkdown());
  console.error(summary(selected));
  process.exit(0);
}

const t0 = performance.now();
if (!opts.inner && !opts['no-build'] && selected.some((s) => s.name === 'bus-embedded')) {
  for (const dir of base ? [ROOT, base] : [ROOT]) execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: 'inherit' });
}
const failed: string[] = [];
for (const spec of selected) {
  try {
    if (spec.services.length && !opts.inner && !opts['no-services']) await benchWithServices(spec);
    else await benchLocally(spec);
  } catch (err) {
    // Keep going: the other benches' results are worth recording; the exit code says it failed.
    console.error(`\n== ${spec.name} FAILED: ${err instanceof Error ? err.message : String(err)}`);
    failed.push(spec.name);
  }
}
if (failed.length) process.exitCode = 1;
if (!opts.inner) {
  writeFileSync(BENCHMARKS_DOC, benchmarksMarkdown());
  console.error(`\n== done in ${Math.round((performance.now() - t0) / 1000)} s; wrote bench/results/*.json and docs/benchmarks.md\n`);
  console.error(summary(selected));
  if (failed.length) console.error(`\nfailed: ${failed.join(', ')} (their results were left as they were)`);
}
