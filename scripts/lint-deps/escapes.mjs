// Escape hatches: ways to load code that the import graph cannot see, so that no other rule can
// check them. Found with the TypeScript parser (syntax only, no type information: fast).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ESCAPE_ALLOWLIST } from './architecture.mjs';

// Files without any of these words cannot hold an escape hatch: skip parsing them.
const SUSPECT = /\bimport\s*\(|\brequire\b|createRequire|\beval\b|\bFunction\b|getBuiltinModule|['"`](?:node:)?module['"`]/;
const NODE_MODULE = new Set(['module', 'node:module']);

function scriptKind(file) {
  if (/\.[cm]?js$/.test(file)) return ts.ScriptKind.JS;
  if (/\.jsx$/.test(file)) return ts.ScriptKind.JSX;
  if (/\.tsx$/.test(file)) return ts.ScriptKind.TSX;
  return ts.ScriptKind.TS;
}

/** What kind of escape hatch a node is, or undefined. */
function escapeOf(node) {
  if (ts.isCallExpression(node)) {
    const [arg] = node.arguments;
    const callee = node.expression;
    if (callee.kind === ts.SyntaxKind.ImportKeyword) {
      if (arg && ts.isStringLiteral(arg)) return NODE_MODULE.has(arg.text) ? 'import of node:module' : undefined;
      if (arg && (ts.isNoSubstitutionTemplateLiteral(arg) || ts.isTemplateExpression(arg))) return 'template-literal import()';
      return 'computed import()';
    }
    if (ts.isIdentifier(callee) && callee.text === 'require') return 'require()';
    if (ts.isIdentifier(callee) && callee.text === 'eval') return 'eval()';
    if (ts.isIdentifier(callee) && callee.text === 'Function') return 'Function constructor';
    // process.getBuiltinModule('node:module').createRequire, or a name computed at run time.
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'getBuiltinModule') {
      if (!arg || !ts.isStringLiteral(arg) || NODE_MODULE.has(arg.text)) return 'getBuiltinModule of node:module or a computed name';
    }
    return undefined;
  }
  if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Function') return 'Function constructor';
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) return 'import = require()';
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
    // createRequire and module.register (loader hooks) both live there.
    return NODE_MODULE.has(node.moduleSpecifier.text) ? 'import of node:module' : undefined;
  }
  if (ts.isIdentifier(node) && node.text === 'createRequire') return 'createRequire';
  const key = ts.isElementAccessExpression(node) ? node.argumentExpression : undefined;
  if (key && ts.isStringLiteralLike(key) && key.text === 'createRequire') return 'createRequire';
  return undefined;
}

/** @returns {object[]} one violation per escape hatch (per kind and line) outside the allowlist. */
export function findEscapes(root, files) {
  const violations = [];
  for (const file of files) {
    if (file.startsWith('daemon/') && ESCAPE_ALLOWLIST.includes(file)) continue;
    const text = readFileSync(join(root, file), 'utf8');
    if (!SUSPECT.test(text)) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, scriptKind(file));
    const seen = new Set();
    const visit = (node) => {
      const kind = escapeOf(node);
      if (kind) {
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        if (!seen.has(line)) {
          seen.add(line);
          const snippet = node.getText(source).replace(/\s+/g, ' ');
          violations.push({
            rule: 'no-escape-hatch',
            severity: 'error',
            from: `${file}:${line}`,
            to: snippet.length > 80 ? `${snippet.slice(0, 77)}...` : snippet,
            comment: `${kind} hides a dependency from the graph: use a static import or import('a string literal') (only daemon/ files in ESCAPE_ALLOWLIST may)`,
          });
        }
        return; // one report per construct, not one per identifier inside it
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return violations;
}
