// Default-deny for top-level folders: dependency-cruiser only sees the files it is pointed at, so
// a new folder would go unchecked. Walks the tree once and returns every code file for the other
// checks.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_FILE, IGNORED_FOLDERS, KNOWN_FOLDERS, NO_CODE } from './architecture.mjs';

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
    // Dot-folders (.git, .ci, .tools) and build output are not source folders.
    if (entry.name.startsWith('.') && !entry.isFile()) continue;
    if (IGNORED_FOLDERS.includes(entry.name)) continue;
    // A symlinked folder is a folder too (else it would be a way around default-deny).
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && statSync(join(root, entry.name), { throwIfNoEntry: false })?.isDirectory());
    if (!isDirectory) {
      if (entry.isFile() && CODE_FILE.test(entry.name)) files.push(entry.name); // root config files (tooling)
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
    } else if (NO_CODE.includes(name)) {
      for (const file of inside) {
        violations.push({ rule: 'no-code-folder', severity: 'error', from: file, to: `${name}/`, comment: `${name}/ holds no code` });
      }
    }
  }
  return { files, folders, violations };
}
