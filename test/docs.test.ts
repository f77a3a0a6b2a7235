import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchmarksMarkdown } from '../scripts/gen-benchmarks.js';
import { configSchemaJson, eventsMarkdown } from '../scripts/gen-docs.js';

describe('generated docs are current (run `npm run docs` after changing schemas)', () => {
  it('docs/events.md matches the event schemas', () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'docs', 'events.md'), 'utf8')).toBe(eventsMarkdown());
  });
  it('docs/config.schema.json matches the config schema', () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'docs', 'config.schema.json'), 'utf8')).toBe(configSchemaJson());
  });
  it('docs/benchmarks.md matches bench/results/*.json (`npm run bench` rewrites both)', () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'docs', 'benchmarks.md'), 'utf8')).toBe(benchmarksMarkdown());
  });
});
