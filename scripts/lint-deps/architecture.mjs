// The architecture the dependency lint enforces, as one table. `.dependency-cruiser.mjs` turns it
// into dependency-cruiser rules; scripts/lint-deps/*.mjs check with the TypeScript compiler API
// what dependency-cruiser cannot express (unknown folders, escape hatches, laundering through
// test code). Change the architecture here, in one place, and in docs/architecture.md.

/** Production folders and the folders of ours each may import (besides itself). */
export const DIRECTIONS = {
  core: [],
  bus: ['core'],
  stores: ['core'],
  trust: ['core'],
  keys: ['core'],
  rules: ['core'],
  sinks: ['core'],
  collectors: ['core', 'trust', 'rules'],
  detectors: ['core', 'trust', 'rules'],
  // The composition root; nothing imports it except tests, benches and tooling.
  daemon: ['core', 'bus', 'stores', 'trust', 'keys', 'rules', 'collectors', 'detectors', 'sinks'],
};
export const PRODUCTION = Object.keys(DIRECTIONS);
/** Integration tests, benches and tooling (scripts/, tools/: the model pipeline) may import anything (test/ and bench/ are test code). */
export const UNRESTRICTED = ['test', 'bench', 'scripts', 'tools'];
/**
 * Code files allowed at the repository root: tool configuration only (default-deny, like unknown
 * folders: a root file belongs to no folder, so no direction rule would cover it).
 */
export const ROOT_CODE_FILES = /^(?:vitest\.config|eslint\.config|prettier\.config|\.prettierrc|\.dependency-cruiser)\.[cm]?[jt]s$/;
/** Known folders that hold no code at all. */
export const NO_CODE = ['deploy', 'config', 'docs'];
/** bin/ only loads the build in dist/. */
export const LAUNCHER = 'bin';
export const KNOWN_FOLDERS = [...PRODUCTION, ...UNRESTRICTED, ...NO_CODE, LAUNCHER];
/** Build output, dependencies and local data: never ours to lint (dot-folders are skipped too). */
export const IGNORED_FOLDERS = ['node_modules', 'dist', 'coverage'];

/** Folders holding one module per sub-folder (<folder>/<x>, with <folder>/shared for what they share). */
export const MODULE_FOLDERS = ['bus', 'stores', 'collectors', 'detectors', 'sinks', 'rules'];
/** Of those, the ones whose sub-folders never import each other (only their folder's shared/). */
export const ISOLATED = ['bus', 'collectors', 'detectors', 'sinks'];
/**
 * Folders that are one module each, with their public surfaces (paths inside the folder). A
 * capability's `module.ts` (its descriptor for daemon/registry.ts) is a surface beside index.ts:
 * it must be importable without loading everything index.ts exports (bus/kafka's client).
 */
export const SINGLE_MODULES = {
  core: ['index.ts', 'tlog/index.ts', 'testing/index.ts', 'sqlite/index.ts'],
  trust: ['index.ts', 'module.ts', 'testing/index.ts'],
  keys: ['index.ts', 'module.ts', 'testing/index.ts'],
};

/** Kafka client packages (and their sub-paths): only bus/kafka may import them. */
export const KAFKA_CLIENTS = ['kafkajs', '@platformatic/kafka', '@confluentinc/kafka-javascript', 'node-rdkafka'];
export const KAFKA_OWNER = 'bus/kafka';

/**
 * Escape hatches (scripts/lint-deps/escapes.mjs) allowed in one file, by kind, each with its
 * reason: they hide code from the graph. Only daemon/ and test code may be listed; production code
 * elsewhere never may. Add an entry here and say why; docs/architecture.md describes the kinds.
 */
export const ESCAPE_ALLOWLIST = {
  // Reaches V8's gc() (runInNewContext('gc') after --expose-gc) to prove a heap bound; it runs the
  // literal 'gc' and loads no code.
  'collectors/rekor/collector.test.ts': ['import of node:vm'],
};

/** Vitest calls that load a module by path: the graph follows them like imports. */
export const LOADER_CALLS = ['vi.mock', 'vi.doMock', 'vi.importActual', 'vi.importMock'];

export const CODE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
// Test code: integration tests and benches, `testing/` twins, recorded `testdata/`, unit tests.
const TEST_CODE_IN_FOLDER = String.raw`(?:^|/)(?:testing|testdata)/|(?:^|/)testing\.[cm]?[jt]s$|\.test\.[cm]?[jt]sx?$`;
export const TEST_CODE = String.raw`^(?:test|bench)/|` + TEST_CODE_IN_FOLDER;
/** A regex that matches (without capturing) when a path is test code inside its folder. */
export const TEST_CODE_LOOKAHEAD = `(?=.*(?:${TEST_CODE_IN_FOLDER}))`;

export const isTestCode = (path) => new RegExp(TEST_CODE).test(path);
export const topOf = (path) => path.split('/')[0];

/**
 * The module a repository path belongs to, with its public surfaces, or undefined when the path is
 * in no module (daemon/, test/, bench/, scripts/, a file directly in a module folder).
 */
export function moduleOf(path) {
  const parts = path.split('/');
  const [top, sub] = parts;
  if (SINGLE_MODULES[top]) return { id: top, surfaces: SINGLE_MODULES[top].map((s) => `${top}/${s}`) };
  if (!MODULE_FOLDERS.includes(top) || parts.length < 3) return undefined;
  const id = `${top}/${sub}`;
  const surfaces = [`${id}/index.ts`, `${id}/module.ts`, `${id}/testing/index.ts`];
  // Nested shared packages (collectors/shared/tiles/) have a surface of their own.
  if (sub === 'shared' && parts.length > 3) surfaces.push(`${id}/${parts[2]}/index.ts`);
  return { id, surfaces };
}

/** The surfaces an import of `target` (outside its module) may use, the nearest first. */
export function surfacesFor(target) {
  const mod = moduleOf(target);
  if (!mod) return [];
  const testing = /(?:^|\/)testing\//.test(target);
  const dirOf = (s) => s.slice(0, s.lastIndexOf('/') + 1);
  return mod.surfaces
    .filter((s) => /(?:^|\/)testing\//.test(s) === testing)
    .sort((a, b) => Number(target.startsWith(dirOf(b))) * dirOf(b).length - Number(target.startsWith(dirOf(a))) * dirOf(a).length);
}
