// Which real services (scripts/services/<name>.sh) do the tests selected by these vitest arguments
// need? scripts/test.sh starts only those. Tests declare what they need where they already do:
// service('CHAINWATCH_TEST_<X>...', ...) from test/helpers/services.ts, in the test file or in a
// test/ module it imports. This script maps those variables to services, so a new suite needs no
// list kept elsewhere; a variable it cannot map fails here (exit 2) instead of a silent skip later.
//
//   node scripts/test-services.mjs [vitest args...]     prints the service names, space-separated
//   node scripts/test-services.mjs --explain [args...]  also prints, per test file, what it needs
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** Variable prefix (after CHAINWATCH_TEST_) -> service script. */
const SERVICE_OF = {
  KAFKA: 'kafka',
  OPENSEARCH: 'opensearch',
  REKOR: 'rekor',
  REKOR2: 'rekor2',
  ALERTMANAGER: 'alertmanager',
  MAILPIT: 'mailpit',
  SMTP: 'mailpit',
  SOFTHSM: 'softhsm',
  CTLOG: 'ctlog',
  SUNLIGHT: 'sunlight',
  OCIREG: 'ocireg',
  COSIGN: 'cosign',
  REGISTRY: 'registry',
  KUBE: 'kube',
  MODEL: 'model-venv',
};
/** vitest options that take a value as the next argument (the others are flags or use --opt=value). */
const WITH_VALUE = new Set([
  '--project',
  '-t',
  '--testNamePattern',
  '--reporter',
  '--outputFile',
  '-c',
  '--config',
  '-r',
  '--root',
  '--dir',
  '--shard',
  '--bail',
  '--retry',
  '--maxWorkers',
  '--pool',
  '--environment',
  '--testTimeout',
  '--hookTimeout',
  '--exclude',
  '--mode',
]);

function parseArgs(args) {
  const projects = [];
  const filters = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--project=')) projects.push(a.slice('--project='.length));
    else if (a === '--project') projects.push(args[++i] ?? '');
    else if (WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) filters.push(a);
  }
  return { projects, filters };
}

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Service variables named by a file and the test/ modules it imports (transitively). */
function variablesOf(file, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return new Set();
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const vars = new Set([...text.matchAll(/service\(\s*'CHAINWATCH_TEST_([A-Z0-9_]+)'/g)].map((m) => m[1]));
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
    const dep = resolve(dirname(file), `${m[1]}.ts`);
    if (dep.startsWith(join(ROOT, 'test'))) for (const v of variablesOf(dep, seen)) vars.add(v);
  }
  return vars;
}

function servicesFor(args, explain) {
  const { projects, filters } = parseArgs(args);
  if (projects.length > 0 && !projects.includes('integration')) return [];
  // vitest's filters match a substring of the file path.
  const wanted = filters.map((f) => relative(ROOT, resolve(f)) || '.');
  const files = testFiles(join(ROOT, 'test'))
    .map((f) => relative(ROOT, f))
    .filter((f) => filters.length === 0 || wanted.some((w) => w === '.' || f.includes(w)) || filters.some((w) => f.includes(w)));
  const services = new Set();
  for (const file of files) {
    const needs = new Set();
    for (const v of variablesOf(join(ROOT, file))) {
      const key = Object.keys(SERVICE_OF).find((k) => v === k || v.startsWith(`${k}_`));
      if (!key) {
        console.error(`test-services: ${file} needs CHAINWATCH_TEST_${v}, which no service provides (add it to SERVICE_OF)`);
        process.exit(2);
      }
      needs.add(SERVICE_OF[key]);
    }
    if (explain) console.error(`  ${file}: ${[...needs].join(' ') || '-'}`);
    for (const s of needs) services.add(s);
  }
  return [...services].sort();
}

const argv = process.argv.slice(2);
const explain = argv[0] === '--explain';
console.log(servicesFor(explain ? argv.slice(1) : argv, explain).join(' '));
