// dependency-cruiser rules, generated from the one architecture table
// (scripts/lint-deps/architecture.mjs). Run through `node scripts/lint-deps.mjs` (npm run lint),
// which adds what dependency-cruiser cannot express; `npx depcruise core bus ...` works too.
import {
  DIRECTIONS,
  ISOLATED,
  KAFKA_CLIENTS,
  KAFKA_OWNER,
  LAUNCHER,
  LOADER_CALLS,
  MODULE_FOLDERS,
  PRODUCTION,
  SINGLE_MODULES,
  TEST_CODE,
  TEST_CODE_LOOKAHEAD,
  UNRESTRICTED,
} from './scripts/lint-deps/architecture.mjs';

const any = (names) => `(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})`;
// A file of ours (root-level files, dot-folders and paths outside the tree included), resolved:
// node builtins and packages are not folders; unresolvable names are reported by
// scripts/lint-deps/resolution.mjs.
const ours = (pathNot = []) => ({
  path: '^',
  pathNot: ['^node_modules/', ...pathNot],
  dependencyTypesNot: ['core'],
  couldNotResolve: false,
});
const modules = any(MODULE_FOLDERS);
const surfaceOfAModule = [`^${modules}/[^/]+/(?:(?:testing/)?index|module)\\.ts$`, `^${modules}/shared/[^/]+/index\\.ts$`];

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} */
const forbidden = [
  // 1. Directions between top-level folders (test code beside production code included).
  ...PRODUCTION.map((folder) => ({
    name: 'folder-direction',
    severity: 'error',
    comment: `${folder}/ may import ${DIRECTIONS[folder].map((f) => `${f}/`).join(', ') || 'nothing of ours'}`,
    from: { path: `^${folder}/` },
    to: ours([`^${any([folder, ...DIRECTIONS[folder]])}/`, '^(?:test|bench|daemon)/']),
  })),
  {
    name: 'nothing-imports-daemon',
    severity: 'error',
    comment: 'daemon/ is the composition root: only test/, bench/ and scripts/ may import it',
    from: { pathNot: `^${any(['daemon', ...UNRESTRICTED])}/` },
    to: { path: '^daemon/', couldNotResolve: false },
  },
  {
    name: 'bin-loads-dist-only',
    severity: 'error',
    comment: `${LAUNCHER}/ only loads the build in dist/`,
    from: { path: `^${LAUNCHER}/` },
    to: ours(['^dist/', '^daemon/']),
  },
  // 3. Siblings meet only through their folder's shared/ (which imports no sibling either).
  {
    name: 'siblings-isolated',
    severity: 'error',
    comment: `sub-folders of ${ISOLATED.map((f) => `${f}/`).join(', ')} import each other only through their folder's shared/`,
    from: { path: `^(${any(ISOLATED)})/([^/]+)/` },
    // Files directly in the folder too: they are errors themselves (no-loose-module-file).
    to: { path: '^$1/', pathNot: '^$1/(?:$2|shared)/', couldNotResolve: false },
  },
  // 4. Across modules, only a module's public surface (its index.ts) may be imported.
  ...Object.entries(SINGLE_MODULES).map(([folder, surfaces]) => ({
    name: 'index-only',
    severity: 'error',
    comment: `import ${folder}/ through its public surface (${surfaces.map((s) => `${folder}/${s}`).join(', ')})`,
    from: { pathNot: `^${folder}/` },
    to: { path: `^${folder}/`, pathNot: `^${folder}/${any(surfaces)}$`, couldNotResolve: false },
  })),
  {
    name: 'index-only',
    severity: 'error',
    comment: 'import another module through its index.ts (a shared/ package: shared/index.ts or shared/<sub>/index.ts)',
    from: { path: `^(${modules})/([^/]+)/` },
    to: { path: `^${modules}/[^/]+/`, pathNot: ['^$1/$2/', ...surfaceOfAModule], couldNotResolve: false },
  },
  {
    name: 'index-only',
    severity: 'error',
    comment: 'import a module through its index.ts (a shared/ package: shared/index.ts or shared/<sub>/index.ts)',
    from: { pathNot: `^${modules}/[^/]+/` },
    to: { path: `^${modules}/[^/]+/`, pathNot: surfaceOfAModule, couldNotResolve: false },
  },
  // 6. One adapter owns the Kafka client.
  {
    name: 'kafka-client-only-in-bus-kafka',
    severity: 'error',
    comment: `only ${KAFKA_OWNER}/ imports a Kafka client (${KAFKA_CLIENTS.join(', ')})`,
    from: { pathNot: `^${any([KAFKA_OWNER, ...UNRESTRICTED])}/` },
    to: { path: `(?:^|node_modules/)${any(KAFKA_CLIENTS)}(?:/|$)` },
  },
  // 7. Test code: never in production; beside production code it follows its folder's rules.
  {
    name: 'no-test-code-in-production',
    severity: 'error',
    comment: 'production code never imports test/, bench/, a testing/ folder, testdata/ or a *.test.ts file',
    from: { path: `^${any(PRODUCTION)}/`, pathNot: TEST_CODE },
    to: { path: TEST_CODE, couldNotResolve: false },
  },
  {
    name: 'tests-follow-their-folder',
    severity: 'error',
    comment:
      "test code beside production code may import what its folder may, core/testing/, its own module's testing/ and its folder's shared/testing/; test/ and bench/ are for test/ and bench/ only",
    from: { path: `^${TEST_CODE_LOOKAHEAD}(${modules})/([^/]+)/` },
    to: { path: TEST_CODE, pathNot: ['^core/testing/', '^$1/$2/', '^$1/shared/testing/'], couldNotResolve: false },
  },
  {
    name: 'tests-follow-their-folder',
    severity: 'error',
    comment:
      "test code beside production code may import what its folder may, core/testing/ and its own module's testing/; test/ and bench/ are for test/ and bench/ only",
    from: { path: `^${TEST_CODE_LOOKAHEAD}(${any(PRODUCTION.filter((f) => !MODULE_FOLDERS.includes(f)))})/` },
    to: { path: TEST_CODE, pathNot: ['^core/testing/', '^$1/'], couldNotResolve: false },
  },
];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden,
  options: {
    // Type-only imports count: they couple modules just the same.
    tsPreCompilationDeps: true,
    doNotFollow: { path: '(?:^|/)node_modules/' },
    exclude: { path: '^(?:dist|coverage)/' },
    exoticRequireStrings: LOADER_CALLS,
    skipAnalysisNotInRules: true,
  },
};
