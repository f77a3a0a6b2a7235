// Default-deny for top-level folders: dependency-cruiser only sees the files it is pointed at, so
// a new folder would go unchecked. Walks the tree once and returns every code file for the other
// checks.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_FILE, IGNORED_FOLDERS, KNOWN_FOLDERS, MODULE_FOLDERS, NO_CODE, ROOT_CODE_FILES } from './architecture.mjs';

function codeFilesUnder(root, dir) {
  const found = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...codeFilesUnder(root, path));
    else if (entry.isFile() && CODE_FILE.test(entry.name)) found.push(path);
  }
  return found;
}

/**
 * @returns {{ files: string[], folders: string[], violations: object[] }} every code file (paths
 * relative to root, `/`-separated), the top-level folders holding code, and the violations.
 */
export function scanFolders(root) {
  const files = [];
  const folders = [];
  const violations = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (IGNORED_FOLDERS.includes(entry.name)) continue;
    // A symlinked folder or file is one too (else it would be a way around default-deny).
    const stat = entry.isSymbolicLink() ? statSync(join(root, entry.name), { throwIfNoEntry: false }) : entry;
    const isDirectory = stat?.isDirectory() ?? false;
    // Dot-folders (.git, .ci, .tools) and build output are not source folders.
    if (entry.name.startsWith('.') && isDirectory) continue;
    if (!isDirectory) {
      if (!stat?.isFile() || !CODE_FILE.test(entry.name)) continue;
      files.push(entry.name);
      if (!ROOT_CODE_FILES.test(entry.name)) {
        violations.push({
          rule: 'unknown-root-file',
          severity: 'error',
          from: entry.name,
          to: './',
          comment:
            'code at the repository root belongs to no folder: only tool configuration lives there (ROOT_CODE_FILES in scripts/lint-deps/architecture.mjs)',
        });
      }
      continue;
    }
    const name = entry.name;
    const inside = codeFilesUnder(root, name);
    if (inside.length === 0) continue;
    files.push(...inside);
    folders.push(name);
    if (!KNOWN_FOLDERS.includes(name)) {
      violations.push({
        rule: 'unknown-top-level-folder',
        severity: 'error',
        from: `${name}/`,
        to: inside[0],
        comment: `unknown top-level folder ${name}/: add it to the architecture before using it (scripts/lint-deps/architecture.mjs, docs/architecture.md)`,
      });
    } else if (MODULE_FOLDERS.includes(name)) {
      // A module folder holds one module per sub-folder. A file directly in it belongs to no module:
      // it has no public surface, and siblings meeting through it would launder their isolation.
      // Forbidden rather than treated as a sibling: what siblings share goes in <folder>/shared/.
      for (const file of inside.filter((f) => f.split('/').length === 2)) {
        violations.push({
          rule: 'no-loose-module-file',
          severity: 'error',
          from: file,
          to: `${name}/`,
          comment: `${name}/ holds one module per sub-folder: move it into a module or ${name}/shared/`,
        });
      }
    } else if (NO_CODE.includes(name)) {
      for (const file of inside) {
        violations.push({ rule: 'no-code-folder', severity: 'error', from: file, to: `${name}/`, comment: `${name}/ holds no code` });
      }
    }
  }
  return { files, folders, violations };
}
