#!/usr/bin/env node
// Enforces the dependency directions of DEVELOPERS.md / docs/architecture.md:
//   core imports nothing of ours; bus, stores, collectors, sinks, trust import only core;
//   detectors import core, rules and trust; rules imports core; keys imports core;
//   collectors/detectors/sinks never import a sibling folder (one folder per source/system), except
//   <folder>/shared/, which holds what the siblings share;
//   daemon imports everything; nothing imports daemon; deploy/ holds no code imports;
//   only bus/kafka imports a Kafka client.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? resolve(dirname(new URL(import.meta.url).pathname), '..'));
const allowed = {
  core: [],
  bus: ['core'],
  stores: ['core'],
  trust: ['core'],
  keys: ['core'],
  rules: ['core'],
  collectors: ['core', 'trust'],
  detectors: ['core', 'rules', 'trust'],
  sinks: ['core'],
  daemon: ['core', 'bus', 'stores', 'trust', 'keys', 'rules', 'collectors', 'detectors', 'sinks'],
  test: null, // tests and benches may import anything except across the rules below
  bench: null,
};
// Folders holding one sub-folder per source/system that must not import each other.
const isolated = new Set(['collectors', 'detectors', 'sinks']);
const kafkaClients = /^(kafkajs|node-rdkafka|@confluentinc\/kafka-javascript|@platformatic\/kafka)(\/|$)/;

const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) check(p);
  }
}
const importRe = /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
function check(file) {
  const rel = relative(root, file);
  const [top, sub] = rel.split(sep);
  const src = readFileSync(file, 'utf8');
  for (const m of src.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (kafkaClients.test(spec) && !rel.startsWith(`bus${sep}kafka${sep}`) && top !== 'test' && top !== 'bench') {
      problems.push(`${rel}: imports Kafka client '${spec}' (only bus/kafka may)`);
    }
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(dirname(file), spec));
    const [ttop, tsub] = target.split(sep);
    if (ttop === '..' || (ttop === top && !(isolated.has(top) && tsub !== sub && target.includes(sep)))) continue;
    if (ttop === top && tsub === 'shared') continue; // <folder>/shared/ holds code its siblings share
    if (ttop === top) {
      problems.push(`${rel}: ${top}/${sub} imports ${top}/${tsub} (siblings meet only through events on the bus)`);
      continue;
    }
    if (ttop === 'daemon' && top !== 'test' && top !== 'bench') {
      problems.push(`${rel}: imports daemon/ (nothing imports the composition root)`);
      continue;
    }
    // Unit tests beside the code may use the shared test helpers (in-memory twins, realdata()).
    if (ttop === 'test' && /\.test\.(ts|mts|js|mjs)$/.test(file)) continue;
    const ok = allowed[top];
    if (top === 'deploy') problems.push(`${rel}: deploy/ must not contain code imports`);
    else if (ok === null || ok === undefined) continue;
    else if (!ok.includes(ttop)) problems.push(`${rel}: ${top}/ may not import ${ttop}/ (allowed: ${ok.join(', ') || 'nothing of ours'})`);
  }
}
for (const top of [...Object.keys(allowed), 'deploy']) {
  try {
    if (statSync(join(root, top)).isDirectory()) walk(join(root, top));
  } catch {
    // a folder that does not exist has nothing to check
  }
}
if (problems.length) {
  console.error(`dependency lint: ${problems.length} violation(s)`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log('dependency lint: ok');
