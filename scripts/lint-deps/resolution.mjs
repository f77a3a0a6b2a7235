// Imports the graph cannot follow are imports no rule can check: an import dependency-cruiser
// cannot resolve is an error (a typo'd path, a tsconfig `paths` alias, a `baseUrl` import), and so
// is the alias itself, which would let tsc accept what Node and the graph cannot see.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/** The package a bare specifier names ('@scope/name/sub' -> '@scope/name'), or undefined. */
function packageOf(specifier) {
  if (/^(?:\.{1,2}(?:\/|$)|\/|#)/.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function declaredPackages(root) {
  const path = join(root, 'package.json');
  if (!existsSync(path)) return new Set();
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  return new Set(DEPENDENCY_FIELDS.flatMap((field) => Object.keys(manifest[field] ?? {})));
}

/** The compiler options a tsconfig sets, its `extends` chain (relative files) included, with where each came from. */
function compilerOptions(root, file, seen = new Set()) {
  if (seen.has(file) || !existsSync(join(root, file))) return [];
  seen.add(file);
  const { config } = ts.parseConfigFileTextToJson(file, readFileSync(join(root, file), 'utf8'));
  const bases = [config?.extends ?? []].flat().filter((e) => typeof e === 'string' && e.startsWith('.'));
  const inherited = bases.flatMap((base) => {
    const path = posix.join(posix.dirname(file), base.endsWith('.json') ? base : `${base}.json`);
    return compilerOptions(root, path, seen);
  });
  return [...inherited, ...Object.keys(config?.compilerOptions ?? {}).map((option) => ({ option, file }))];
}

/** Violations for `paths` and `baseUrl` in any tsconfig*.json at the root, or a file it extends. */
export function findPathAliases(root) {
  const violations = [];
  for (const file of readdirSync(root)
    .filter((f) => /^tsconfig.*\.json$/.test(f))
    .sort()) {
    for (const { option, file: where } of compilerOptions(root, file)) {
      if (option !== 'baseUrl' && option !== 'paths') continue;
      violations.push({
        rule: 'no-path-alias',
        severity: 'error',
        from: file,
        to: `compilerOptions.${option}${where === file ? '' : ` (in ${where})`}`,
        comment: 'tsc would resolve imports that Node and the dependency graph cannot: import by relative path or a declared package',
      });
    }
  }
  return violations;
}

/**
 * Violations for every import of ours dependency-cruiser could not resolve, except a bare name of
 * a package declared in package.json (resolving it is the install's business, not the layout's)
 * and bin/'s import of the build in dist/ (which need not exist when the lint runs).
 */
export function findUnresolvable(root, modules) {
  const declared = declaredPackages(root);
  const violations = [];
  for (const { source, dependencies } of modules) {
    if (/(?:^|\/)node_modules\//.test(source)) continue;
    for (const dep of dependencies) {
      if (!dep.couldNotResolve) continue;
      const pkg = packageOf(dep.module);
      if (pkg && declared.has(pkg)) continue;
      if (source.startsWith('bin/') && dep.module.startsWith('../dist/')) continue;
      violations.push({
        rule: 'not-to-unresolvable',
        severity: 'error',
        from: source,
        to: dep.module,
        comment: pkg
          ? `${pkg} is not declared in package.json (or is an alias): declare the package, or import our code by relative path`
          : 'no such file: the graph cannot check an import it cannot follow',
      });
    }
  }
  return violations;
}
