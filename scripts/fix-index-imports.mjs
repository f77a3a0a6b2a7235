#!/usr/bin/env node
// Codemod for the lint's index-only rule: rewrites each deep import into another module (one the
// dependency lint reports as `index-only`) to import from that module's public surface instead,
// but only for the names the surface exports as the very same symbol (checked with the
// TypeScript type checker). Lists every import it cannot rewrite, with the reason.
//
//   node scripts/fix-index-imports.mjs [--write] [root]   default: print the plan, change nothing
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import ts from 'typescript';
import { KNOWN_FOLDERS, NO_CODE, surfacesFor } from './lint-deps/architecture.mjs';
import { scanFolders } from './lint-deps/folders.mjs';
import { cruiseTree } from './lint-deps/graph.mjs';

const OPTIONS = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2023,
  noEmit: true,
  skipLibCheck: true,
  types: [],
};

/** The specifier `from` uses for a repository file (`.ts` imported as `.js`). */
function specifierFor(from, file) {
  const rel = relative(dirname(from), file)
    .split('\\')
    .join('/')
    .replace(/\.([cm]?)ts$/, '.$1js');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Name → symbol (aliases resolved) of what a module file exports. */
function exportsOf(checker, sourceFile) {
  const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
  const out = new Map();
  for (const s of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
    out.set(s.name, s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  }
  return out;
}

/** The declarations of a file with a string module specifier, and their kind. */
function* moduleReferences(source) {
  const visit = function* (node) {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      yield { node, spec: node.moduleSpecifier.text, kind: 'declaration' };
      return;
    }
    if (ts.isCallExpression(node) && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      yield { node, spec: node.arguments[0].text, kind: node.expression.kind === ts.SyntaxKind.ImportKeyword ? 'import()' : 'call' };
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      yield { node, spec: node.argument.literal.text, kind: 'import() type' };
    }
    for (const child of node.getChildren(source)) yield* visit(child);
  };
  yield* visit(source);
}

/** The named specifiers of an import/export declaration, or why it cannot be rewritten. */
function namedSpecifiers(node) {
  if (ts.isExportDeclaration(node)) {
    if (!node.exportClause || !ts.isNamedExports(node.exportClause)) return { why: '`export *` re-exports everything: choose the names by hand' };
    return { typeOnly: node.isTypeOnly, elements: node.exportClause.elements, keyword: 'export' };
  }
  const clause = node.importClause;
  if (!clause) return { why: 'side-effect import' };
  if (clause.name) return { why: 'default import' };
  if (!clause.namedBindings || !ts.isNamedImports(clause.namedBindings)) return { why: 'namespace import' };
  return { typeOnly: clause.isTypeOnly, elements: clause.namedBindings.elements, keyword: 'import' };
}

/** Plans the rewrite of one file: { text, edits, rewritten, left }. */
function planFile(root, file, targets, program, checker) {
  const abs = join(root, file);
  const text = readFileSync(abs, 'utf8');
  const source = ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true);
  const repoPath = (spec) => {
    const resolved = ts.resolveModuleName(spec, abs, OPTIONS, ts.sys).resolvedModule?.resolvedFileName;
    return resolved && relative(root, resolved).split('\\').join('/');
  };
  // One declaration per (import|export, type-only, file imported): `${keyword} ${typeOnly} ${file}`.
  const groups = new Map();
  const addTo = (named, file, elements, node) => {
    const key = `${named.keyword} ${named.typeOnly} ${file}`;
    const group = groups.get(key) ?? { keyword: named.keyword, typeOnly: named.typeOnly, file, elements: [], nodes: new Set() };
    group.elements.push(...elements);
    group.nodes.add(node);
    groups.set(key, group);
  };
  const rewritten = [];
  const left = [];
  for (const ref of moduleReferences(source)) {
    const target = repoPath(ref.spec);
    if (!target || !targets.has(target)) continue;
    const line = source.getLineAndCharacterOfPosition(ref.node.getStart(source)).line + 1;
    const where = `${file}:${line} '${ref.spec}'`;
    if (ref.kind !== 'declaration') {
      left.push(`${where}: ${ref.kind}, rewrite by hand`);
      continue;
    }
    const named = namedSpecifiers(ref.node);
    if (named.why) {
      left.push(`${where}: ${named.why}`);
      continue;
    }
    const surfaces = surfacesFor(target)
      .filter((s) => existsSync(join(root, s)))
      .map((s) => ({ s, exports: exportsOf(checker, program.getSourceFile(join(root, s))) }));
    if (surfaces.length === 0) {
      left.push(`${where}: ${surfacesFor(target)[0] ?? 'its module surface'} does not exist`);
      continue;
    }
    const deep = exportsOf(checker, program.getSourceFile(join(root, target)));
    const moved = new Map(); // surface -> element texts
    const kept = [];
    for (const el of named.elements) {
      const name = (el.propertyName ?? el.name).text;
      const symbol = deep.get(name);
      const home = symbol && surfaces.find(({ exports }) => exports.get(name) === symbol);
      if (home) {
        moved.set(home.s, [...(moved.get(home.s) ?? []), el.getText(source)]);
        rewritten.push(`${where}: \`${name}\` from ${specifierFor(abs, join(root, home.s))}`);
      } else {
        kept.push(el.getText(source));
        left.push(`${where}: ${surfaces.map(({ s }) => s).join(' / ')} does not export \`${name}\``);
      }
    }
    if (moved.size === 0) continue;
    for (const [s, elements] of moved) addTo(named, s, elements, ref.node);
    if (kept.length > 0) addTo(named, target, kept, ref.node);
  }
  // An existing declaration importing (or re-exporting from) a surface takes the moved names too.
  for (const ref of moduleReferences(source)) {
    if (ref.kind !== 'declaration') continue;
    const named = namedSpecifiers(ref.node);
    const group = !named.why && groups.get(`${named.keyword} ${named.typeOnly} ${repoPath(ref.spec)}`);
    if (group && !group.nodes.has(ref.node)) {
      group.elements.unshift(...named.elements.map((el) => el.getText(source)));
      group.nodes.add(ref.node);
    }
  }
  const edits = [];
  for (const g of groups.values()) {
    const nodes = [...g.nodes].sort((a, b) => a.getStart(source) - b.getStart(source));
    const statement = `${g.keyword} ${g.typeOnly ? 'type ' : ''}{ ${[...new Set(g.elements)].join(', ')} } from '${specifierFor(abs, join(root, g.file))}';`;
    nodes.forEach((node, i) => edits.push({ start: node.getStart(source), end: node.getEnd(), text: i === 0 ? statement : '' }));
  }
  return { text, edits: mergeEdits(edits), rewritten, left };
}

/** Edits on one declaration (split into several groups) become one replacement. */
function mergeEdits(edits) {
  const byStart = new Map();
  for (const e of edits) {
    const prev = byStart.get(e.start);
    byStart.set(e.start, prev ? { ...e, text: [prev.text, e.text].filter(Boolean).join('\n') } : e);
  }
  return [...byStart.values()].sort((a, b) => b.start - a.start);
}

function apply(text, edits) {
  let out = text;
  for (const e of edits) {
    // A removed declaration takes its line break with it.
    const end = e.text === '' && out[e.end] === '\n' ? e.end + 1 : e.end;
    out = out.slice(0, e.start) + e.text + out.slice(end);
  }
  return out;
}

export async function fixIndexImports(root, { write }) {
  const { folders } = scanFolders(root);
  const result = await cruiseTree(
    root,
    folders.filter((f) => KNOWN_FOLDERS.includes(f) && !NO_CODE.includes(f)),
  );
  const targetsByFile = new Map();
  for (const v of result.summary.violations) {
    if (v.rule.name !== 'index-only') continue;
    targetsByFile.set(v.from, (targetsByFile.get(v.from) ?? new Set()).add(v.to));
  }
  const all = [...targetsByFile.values()].flatMap((t) => [...t]);
  const rootNames = [...new Set([...all, ...all.flatMap(surfacesFor)])].map((f) => join(root, f)).filter((f) => existsSync(f));
  const program = ts.createProgram(rootNames, OPTIONS);
  const checker = program.getTypeChecker();
  const report = { files: [], rewritten: [], left: [] };
  for (const [file, targets] of [...targetsByFile].sort(([a], [b]) => a.localeCompare(b))) {
    const plan = planFile(root, file, targets, program, checker);
    report.rewritten.push(...plan.rewritten);
    report.left.push(...plan.left);
    if (plan.edits.length === 0) continue;
    report.files.push(file);
    if (write) {
      const abs = join(root, file);
      const options = (await prettier.resolveConfig(abs)) ?? {};
      writeFileSync(abs, await prettier.format(apply(plan.text, plan.edits), { ...options, filepath: abs }));
    }
  }
  return report;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const write = args.includes('--write');
  const root = resolve(args.find((a) => !a.startsWith('--')) ?? fileURLToPath(new URL('..', import.meta.url)));
  const report = await fixIndexImports(root, { write });
  for (const r of report.rewritten) console.log(`rewrite ${r}`);
  for (const l of report.left) console.log(`left    ${l}`);
  const verb = write ? 'rewrote' : 'would rewrite (run with --write)';
  console.log(`${verb} ${report.rewritten.length} name(s) in ${report.files.length} file(s); ${report.left.length} deep import(s) left to fix by hand`);
}
