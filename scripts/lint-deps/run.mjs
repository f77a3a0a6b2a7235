// Runs every check of the dependency lint over a tree and returns the violations.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KNOWN_FOLDERS, NO_CODE, surfacesFor } from './architecture.mjs';
import { findEscapes } from './escapes.mjs';
import { scanFolders } from './folders.mjs';
import { cruiseTree, findLaundering, ruleFor } from './graph.mjs';
import { findPathAliases, findUnresolvable } from './resolution.mjs';

const SEVERITY_ORDER = { error: 0, warn: 1, info: 2 };

/**
 * @returns {Promise<{ violations: object[], files: number }>} violations as
 * { rule, severity, from, to, via?, comment }, errors first.
 */
export async function lintDependencies(root) {
  const { files, folders, violations } = scanFolders(root);
  violations.push(...findEscapes(root, files), ...findPathAliases(root));
  // Unknown folders are already errors; cruising the known ones still follows imports into them.
  const cruised = folders.filter((f) => KNOWN_FOLDERS.includes(f) && !NO_CODE.includes(f) && existsSync(join(root, f)));
  if (cruised.length > 0) {
    const result = await cruiseTree(root, cruised);
    for (const v of result.summary.violations) {
      // For a deep import the useful hint is which surface to import instead.
      const surface = v.rule.name === 'index-only' && surfacesFor(v.to)[0];
      const comment = surface ? `import ${surface} instead; scripts/fix-index-imports.mjs rewrites it` : (ruleFor(v)?.comment ?? '');
      violations.push({ rule: v.rule.name, severity: v.rule.severity, from: v.from, to: v.to, comment });
    }
    violations.push(...findLaundering(result.modules), ...findUnresolvable(root, result.modules));
  }
  violations.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.rule.localeCompare(b.rule) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
  );
  return { violations, files: files.length };
}

export function formatViolation(v) {
  const via = v.via?.length ? ` via ${v.via.join(' -> ')}` : '';
  return `${v.severity} ${v.rule}: ${v.from} -> ${v.to}${via} (${v.comment})`;
}
