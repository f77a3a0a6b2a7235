import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Keeps the map true: every repository path the docs name (`core/http/client.ts`, `sinks/alerts/`,
 * `test/daemon/state-durability.test.ts`) must exist. Re-layouts moved files under the docs' feet
 * before; this fails on the first stale mention instead of leaving it for a reader to trip over.
 */
const ROOT = join(import.meta.dirname, '..');

/** Mentions that are intentionally not files of this tree, each with why. */
const NOT_PATHS: ReadonlyMap<string, string> = new Map([
  ['collectors/heartbeat/module.ts', 'the worked example of docs/architecture.md (built by daemon/modules.test.ts)'],
  ['collectors/heartbeat/', 'the worked example of docs/architecture.md'],
]);

/** File-like mentions: at least one folder and a known extension, not inside a URL or a longer path. */
const FILE_RE = /(?<![\w./:<>~@$-])((?:[A-Za-z0-9_-][\w.-]*\/)+[\w.-]+\.(?:ts|mts|mjs|cjs|js|json|md|yaml|yml|sh|proto))(?![\w/-])/g;
/** Folder mentions in backticks, e.g. `sinks/shared` or `collectors/shared/tiles/`. */
const CODE_SPAN_RE = /`([^`\s]+)`/g;

const topFolders = new Set(
  readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
    .map((d) => d.name),
);

export function mentionedPaths(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(FILE_RE)) found.add(m[1]!);
  for (const m of text.matchAll(CODE_SPAN_RE)) {
    const span = m[1]!;
    if (/^[a-z][\w-]*(?:\/[\w.-]+)+\/?$/.test(span) && topFolders.has(span.split('/')[0]!)) found.add(span);
  }
  return [...found].filter((p) => topFolders.has(p.split('/')[0]!));
}

/** A mention exists as written, or as the .ts source of a .js import specifier. */
function exists(p: string): boolean {
  return existsSync(join(ROOT, p)) || (p.endsWith('.js') && existsSync(join(ROOT, p.replace(/\.js$/, '.ts'))));
}

const docs = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('paths named in docs/*.md and README.md exist', () => {
  it('finds the mentions it is meant to find', () => {
    expect(mentionedPaths('see `sinks/shared` and core/http/client.ts, not https://x.org/core/a.ts or ../shared/realdata/a.md')).toEqual([
      'core/http/client.ts',
      'sinks/shared',
    ]);
  });
  it.each(docs)('%s', (doc) => {
    const stale = mentionedPaths(readFileSync(join(ROOT, doc), 'utf8')).filter((p) => !NOT_PATHS.has(p) && !exists(p));
    expect(stale, `${doc} names paths that do not exist (fix the doc, or add a deliberate non-path to NOT_PATHS)`).toEqual([]);
  });
  it('every allow-listed non-path is still mentioned and still absent', () => {
    const all = docs.flatMap((d) => mentionedPaths(readFileSync(join(ROOT, d), 'utf8')));
    for (const p of NOT_PATHS.keys()) {
      expect(all, p).toContain(p);
      expect(exists(p), p).toBe(false);
    }
  });
});
