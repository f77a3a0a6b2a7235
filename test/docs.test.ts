import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figuresOf } from '../bench/harness/spec.js';
import { benchSpec } from '../bench/harness/specs.js';
import { benchmarksMarkdown, loadResults } from '../scripts/gen-benchmarks.js';
import { configSchemaJson, eventsMarkdown, k8sManifestsYaml } from '../scripts/gen-docs.js';

describe('generated docs are current (run `npm run docs` after changing schemas)', () => {
  it('docs/events.md matches the event schemas', () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'docs', 'events.md'), 'utf8')).toBe(eventsMarkdown());
  });
  it('docs/config.schema.json matches the config schema', () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'docs', 'config.schema.json'), 'utf8')).toBe(configSchemaJson());
  });
  it('deploy/k8s/chainwatch.yaml matches `chainwatch k8s manifests` with its defaults', async () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'deploy', 'k8s', 'chainwatch.yaml'), 'utf8')).toBe(await k8sManifestsYaml());
  });
  it('docs/benchmarks.md matches bench/results/*.json (`npm run bench` rewrites both)', () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'docs', 'benchmarks.md'), 'utf8')).toBe(benchmarksMarkdown());
  });
  it('the figures in bench/results/*.json follow from their measurements and bench/harness/specs.ts (`npm run bench -- --refigure`)', () => {
    const runs = loadResults().flatMap((r) => [r.current, r.reference].flatMap((run) => (run ? [{ bench: r.bench, run }] : [])));
    expect(runs.length).toBeGreaterThan(0);
    for (const { bench, run } of runs) expect(run.figures, `${bench} (${run.tree})`).toEqual(figuresOf(benchSpec(bench), run.measurements));
  });
});
