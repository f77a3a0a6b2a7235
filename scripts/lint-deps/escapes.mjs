// Escape hatches: ways to load or run code that the import graph cannot see, so that no other rule
// can check them. Found with the TypeScript parser (syntax only, no type information: fast). A
// name can be aliased past any syntactic check (`const e = eval`), so the names themselves are
// flagged wherever they are used as values, not only where they are called.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ESCAPE_ALLOWLIST, isTestCode } from './architecture.mjs';

// Files without any of these words cannot hold an escape hatch: skip parsing them.
const SUSPECT = new RegExp(
  [
    String.raw`\bimport\s*\(|\brequire\b|createRequire|getBuiltinModule|\b(?:eval|Function|Worker|fork)\b`,
    String.raw`\.\s*constructor\b|['"\x60]constructor['"\x60]|\b(?:globalThis|global)\s*\[|['"\x60](?:node:)?(?:module|vm|cluster)['"\x60]`,
  ].join('|'),
);
// Built-in modules that exist to load or run code: createRequire and loader hooks, contexts that
// evaluate strings, processes that run a file by path.
const ESCAPE_MODULES = new Set(['module', 'vm', 'cluster']);
// Names that run code or load it by path (eval, the Function constructor, a worker thread), on
// whatever object they are reached through (globalThis.eval, threads.Worker). `fork` is a word of
// this domain (log forks), so only child_process's fork counts: see LOADERS.
const ESCAPE_NAMES = { eval: 'eval', Function: 'Function constructor', Worker: 'worker thread' };
// Built-in modules with one export that runs a file by path; imported statically, so that every
// use of the export (named, or through the namespace) stays visible.
const LOADERS = { child_process: 'fork', worker_threads: 'Worker' };
const GLOBALS = new Set(['globalThis', 'global']);

const builtin = (name) => name.replace(/^node:/, '');
const isEscapeModule = (name) => ESCAPE_MODULES.has(builtin(name));

function scriptKind(file) {
  if (/\.[cm]?js$/.test(file)) return ts.ScriptKind.JS;
  if (/\.jsx$/.test(file)) return ts.ScriptKind.JSX;
  if (/\.tsx$/.test(file)) return ts.ScriptKind.TSX;
  return ts.ScriptKind.TS;
}

/** Whether an identifier is a value reference (not a property name, a type or `instanceof X`). */
function isValue(node) {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.expression === node;
  if (ts.isTypeReferenceNode(parent) || ts.isQualifiedName(parent) || ts.isExpressionWithTypeArguments(parent)) return false;
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.InstanceOfKeyword) return parent.left === node;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) return false;
  return !(ts.isPropertyName(node) && 'name' in parent && parent.name === node);
}

/** Whether an expression is a function (or its prototype), whose .constructor is a Function constructor. */
function isFunctionValue(node) {
  let e = node;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isFunctionExpression(e) || ts.isArrowFunction(e) || ts.isClassExpression(e)) return true;
  if (ts.isCallExpression(e) && accessedName(e.expression) === 'getPrototypeOf') return true;
  return accessedName(e) === 'prototype';
}

/** The name a property access or a literal element access reads (`a.b`, `a['b']`), if any. */
function accessedName(node) {
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) return node.argumentExpression.text;
  return undefined;
}

function importDeclarationEscape(node) {
  const name = node.moduleSpecifier.text;
  if (isEscapeModule(name)) return `import of node:${builtin(name)}`;
  const wanted = LOADERS[builtin(name)];
  if (!wanted) return undefined;
  // Importing the binding that loads code by path is enough: an alias would hide every later use.
  // Re-exporting the whole module would hand it to an importer that does not name the module.
  if (ts.isExportDeclaration(node) && (!node.exportClause || ts.isNamespaceExport(node.exportClause))) return `re-export of ${builtin(name)}`;
  const named = node.importClause?.namedBindings ?? node.exportClause;
  if (named && 'elements' in named && named.elements.some((e) => (e.propertyName ?? e.name).text === wanted)) {
    return `import of ${builtin(name)}.${wanted}`;
  }
  return undefined;
}

/** What kind of escape hatch a node is, or undefined. */
function escapeOf(node, namespaces) {
  if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
    const [arg] = node.arguments ?? [];
    const callee = node.expression;
    if (callee.kind === ts.SyntaxKind.ImportKeyword) {
      if (arg && ts.isStringLiteral(arg)) {
        if (isEscapeModule(arg.text)) return `import of node:${builtin(arg.text)}`;
        return LOADERS[builtin(arg.text)] ? `import() of ${builtin(arg.text)}: import it statically` : undefined;
      }
      if (arg && (ts.isNoSubstitutionTemplateLiteral(arg) || ts.isTemplateExpression(arg))) return 'template-literal import()';
      return 'computed import()';
    }
    // module.require(...) in CommonJS files too.
    if ((ts.isIdentifier(callee) && callee.text === 'require') || accessedName(callee) === 'require') return 'require()';
    if (ts.isIdentifier(callee) && callee.text === 'eval') return 'eval()';
    if (ts.isIdentifier(callee) && callee.text === 'Function') return 'Function constructor';
    // (async () => {}).constructor('code') is the AsyncFunction constructor.
    if (accessedName(callee) === 'constructor') return 'Function constructor (through .constructor)';
    // process.getBuiltinModule('node:module').createRequire, or a name computed at run time.
    if (accessedName(callee) === 'getBuiltinModule') {
      if (!arg || !ts.isStringLiteral(arg) || isEscapeModule(arg.text) || LOADERS[builtin(arg.text)]) {
        return 'getBuiltinModule of a code-loading module or a computed name';
      }
    }
    return undefined;
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) return 'import = require()';
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
    return importDeclarationEscape(node);
  }
  if (ts.isIdentifier(node) && node.text === 'createRequire') return 'createRequire';
  if (ts.isIdentifier(node) && (node.text === 'eval' || node.text === 'Function') && isValue(node)) return ESCAPE_NAMES[node.text];
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
    const name = accessedName(node);
    if (name === 'createRequire') return 'createRequire';
    if (name === 'constructor' && isFunctionValue(node.expression)) return 'Function constructor (through .constructor)';
    if (name && Object.hasOwn(ESCAPE_NAMES, name)) return ESCAPE_NAMES[name];
    if (name === 'fork' && ts.isIdentifier(node.expression) && namespaces.has(node.expression.text)) return 'child_process.fork';
    // globalThis[name]: any global, eval included, by a name computed at run time.
    if (!name && ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && GLOBALS.has(node.expression.text)) {
      return 'computed global access';
    }
  }
  return undefined;
}

/** Local names of child_process imported whole (`import * as cp`, `import cp`). */
function childProcessNamespaces(source) {
  const names = new Set();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (builtin(statement.moduleSpecifier.text) !== 'child_process') continue;
    const clause = statement.importClause;
    if (clause?.name) names.add(clause.name.text);
    if (clause?.namedBindings && ts.isNamespaceImport(clause.namedBindings)) names.add(clause.namedBindings.name.text);
  }
  return names;
}

/** Whether file may use this kind of escape hatch (ESCAPE_ALLOWLIST: daemon/ and test code only). */
const allowed = (file, kind) => (file.startsWith('daemon/') || isTestCode(file)) && (ESCAPE_ALLOWLIST[file] ?? []).includes(kind);

/** @returns {object[]} one violation per escape hatch (per line) outside the allowlist. */
export function findEscapes(root, files) {
  const violations = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    if (!SUSPECT.test(text)) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind(file));
    const seen = new Set();
    const namespaces = childProcessNamespaces(source);
    const visit = (node) => {
      const kind = escapeOf(node, namespaces);
      if (kind && !allowed(file, kind)) {
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        if (!seen.has(line)) {
          seen.add(line);
          const snippet = node.getText(source).replace(/\s+/g, ' ');
          violations.push({
            rule: 'no-escape-hatch',
            severity: 'error',
            from: `${file}:${line}`,
            to: snippet.length > 80 ? `${snippet.slice(0, 77)}...` : snippet,
            comment: `${kind} hides code from the graph: use a static import or import('a string literal') (exceptions: ESCAPE_ALLOWLIST in scripts/lint-deps/architecture.mjs)`,
          });
        }
      }
      if (kind) return; // one report per construct, not one per identifier inside it
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return violations;
}
