/**
 * Generates docs/benchmarks.md from bench/results/*.json (written by the benches and by
 * `npm run bench`). `npm run docs` writes it; test/docs.test.ts fails when it is stale. The prose
 * explaining a missed target lives in the result file's `notes`, keyed by figure id.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changeText, compare } from '../bench/harness/compare.js';
import { readResult, RESULTS_DIR, type Figure, type Result, type Run } from '../bench/harness/result.js';

export const BENCHMARKS_DOC = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');

const num = (n: number): string => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(n));
const qty = (n: number, unit: string): string => (unit === 'ratio' ? num(n) : `${num(n)} ${unit}`);
const cellText = (s: string): string => s.replaceAll('|', '\\|');

export function loadResults(dir = RESULTS_DIR): Result[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readResult(f.slice(0, -'.json'.length), dir)!)
    .sort((a, b) => a.order - b.order || a.bench.localeCompare(b.bench));
}

/** The (median) ratio, with the range over repeated runs. */
function ratioText(f: Figure | undefined): string {
  if (f?.ratio === undefined) return '—';
  const s = f.ratioSamples;
  const range = s && s.length > 1 ? ` (${num(Math.min(...s))}–${num(Math.max(...s))})` : '';
  return `${num(f.ratio)}${f.ratioMethod ? '¹' : ''}${range}`;
}

/** Whether "before" and "now" of a result were measured by one `npm run bench` invocation. */
const sameSession = (r: Result): boolean => r.current?.session !== undefined && r.current.session === r.reference?.session;

function figureRow(r: Result, f: Figure, before: Figure | undefined): string {
  const c = compare(f, before);
  const verdict = c === undefined ? '—' : c.verdict === 'worse' ? `**${changeText(c)}: worse**` : `${changeText(c)}: ${c.verdict}`;
  return `| ${[
    r.title,
    f.label,
    qty(f.value, f.unit),
    f.baseline ? `${qty(f.baseline.value, f.baseline.unit)}: ${f.baseline.label}` : '—',
    ratioText(f),
    f.target?.text ?? '—',
    f.met === undefined ? '—' : f.met ? 'yes' : '**no**',
    `${ratioText(before)}${before && !sameSession(r) ? '²' : ''}`,
    verdict,
    `±${Math.round(f.tolerance * 100)} %`,
  ]
    .map(cellText)
    .join(' | ')} |`;
}

function runRow(r: Result, run: Run): string {
  const m = run.machine;
  return `| ${[
    r.title,
    run.tree === 'current' ? 'now' : 'before',
    `\`${run.commit}\``,
    run.date.slice(0, 16).replace('T', ' '),
    `${num(run.durationSeconds)} s${run.repeats > 1 ? ` (${run.repeats} runs, medians)` : ''}`,
    `\`${run.command}\``,
    `${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}`,
    `${m.loadStart.join(' ')} → ${m.loadEnd.join(' ')}`,
  ]
    .map(cellText)
    .join(' | ')} |`;
}

export function benchmarksMarkdown(dir = RESULTS_DIR): string {
  const results = loadResults(dir);
  const rows: string[] = [];
  const misses: string[] = [];
  const tally = { better: 0, same: 0, worse: [] as string[], unmatched: 0 };
  for (const r of results) {
    for (const f of r.current?.figures ?? []) {
      const before = r.reference?.figures.find((x) => x.id === f.id);
      rows.push(figureRow(r, f, before));
      const c = compare(f, before);
      if (!c) tally.unmatched++;
      else if (c.verdict === 'worse') tally.worse.push(`${r.title}: ${f.label}`);
      else tally[c.verdict]++;
      if (f.met === false) {
        const note = r.notes[f.id] ?? `(no note yet: add one under \`notes.${f.id}\` in \`bench/results/${r.bench}.json\`)`;
        misses.push(`* **${r.title}, ${f.label}: ${f.target!.text} not met** (${qty(f.value, f.unit)}). ${note}`);
      }
    }
  }
  // A note on a figure with a target explains a miss: shown above when missed, hidden when met.
  const others = results.flatMap((r) =>
    Object.entries(r.notes)
      .filter(([id]) => !r.current?.figures.some((f) => f.id === id && f.met !== undefined))
      .map(([id, text]) => `* **${r.title}${id === 'general' ? '' : `, ${r.current?.figures.find((f) => f.id === id)?.label ?? id}`}.** ${text}`),
  );
  const commits = (tree: 'current' | 'reference'): string =>
    [...new Set(results.flatMap((r) => (r[tree] ? [`\`${r[tree].commit}\``] : [])))].join(', ') || 'none';
  const minutes = Math.round(results.reduce((s, r) => s + (r.current ? r.current.durationSeconds / r.current.repeats : 0), 0) / 60);
  const compared = tally.better + tally.same + tally.worse.length;
  const verdict = !rows.length
    ? 'No bench has recorded a run yet: `npm run bench`.'
    : tally.worse.length
      ? `**${tally.worse.length} of ${compared} ratios are worse than before beyond their noise band:** ${tally.worse.join('; ')}.`
      : `**No regression:** of the ${compared} ratios that have a "before", ${tally.same} are the same and ${tally.better} better.`;
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run docs` from bench/results/*.json. Do not edit by hand: re-run `npm run bench`; prose goes in the "notes" of those files. -->',
    '',
    'Every figure comes from a bench under `bench/`, measured beside its baseline **in the same run**; targets are ratios to',
    'that baseline, or absolute values where an issue set one. **Before** is the same bench run on the tree before the',
    're-layout of issue 7, in the same session as **now**, interleaved with it. The comparison uses the same-run ratios,',
    'which a shared machine disturbs far less than absolute rates. With repeated runs a ratio is the median of the',
    "runs' own ratios, their range in brackets. A change counts as better or worse only when the median moved beyond the",
    "figure's noise band and, for repeated runs, every run of one side beat every run of the other; otherwise it is the",
    'same. Units: MiB = 2²⁰ bytes; "/CPU-s" = per second of CPU time of the bench process.',
    '',
    `Now: ${commits('current')}. Before: ${commits('reference')}. ${verdict}`,
    '',
    `**Re-run:** \`npm run bench\` runs every bench and regenerates this page${minutes ? ` (one pass of the benches took about ${minutes} min in the runs below, plus starting Kafka and OpenSearch)` : ''};`,
    '`npm run bench -- audit` runs one; `npm run bench -- --base <dir>` also re-measures "before" on a worktree of that',
    'commit in the same session (see [how the benches run](benchmarks-method.md)).',
    '',
    '| area | figure | now | baseline (same run) | ratio | target | met? | ratio before | change of ratio | noise band |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '¹ median of paired back-to-back rounds (bound, then full path), not the ratio of the totals.',
    ...(results.some((r) => r.reference && r.current && !sameSession(r))
      ? ['² "before" comes from another session than "now" (see Runs): the load differed, so the comparison is only indicative.']
      : []),
    '',
    '## Reading the misses',
    '',
    ...(misses.length ? misses : ['Every target is met in the current run.']),
    '',
    ...(others.length ? ['## Other notes', '', ...others, ''] : []),
    '## Runs',
    '',
    '| area | tree | commit | date (UTC) | duration | command | machine | load average (1, 5, 15 min), start → end |',
    '|---|---|---|---|---|---|---|---|',
    ...results.flatMap((r) => [r.current, r.reference].filter((x): x is Run => x !== undefined).map((run) => runRow(r, run))),
    '',
    ...results.flatMap((r) =>
      [r.current, r.reference].flatMap((run) => (run?.remarks ?? []).map((t) => `* ${r.title}, ${run!.tree === 'current' ? 'now' : 'before'}: ${t}`)),
    ),
    '',
    '## Per-area pages (method, profiles, history)',
    '',
    results.map((r) => `[${r.title}](${r.page})`).join(' · ') + ' · [how the benches run and are recorded](benchmarks-method.md)',
    '',
  ];
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  writeFileSync(BENCHMARKS_DOC, benchmarksMarkdown());
  console.log('wrote docs/benchmarks.md');
}
