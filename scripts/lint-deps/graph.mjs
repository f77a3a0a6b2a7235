// The import graph (dependency-cruiser, rules from .dependency-cruiser.mjs) and the one check it
// cannot express: test code beside production code reaching, through other test code (test/
// helpers, stand-ins, twins), what it may not import itself.
import { cruise } from 'dependency-cruiser';
import config from '../../.dependency-cruiser.mjs';
import { PRODUCTION, isTestCode, topOf } from './architecture.mjs';

const regex = (p) => new RegExp(Array.isArray(p) ? p.join('|') : p);

/**
 * Whether a forbidden rule matches the dependency from → to (`to` a dependency-cruiser
 * dependency: resolved, coreModule, couldNotResolve). The subset of dependency-cruiser's semantics
 * the rules in .dependency-cruiser.mjs use, capture groups of from.path included.
 */
export function ruleMatches(rule, from, to) {
  const f = rule.from ?? {};
  const t = rule.to ?? {};
  if (f.path && !regex(f.path).test(from)) return false;
  if (f.pathNot && regex(f.pathNot).test(from)) return false;
  const groups = f.path ? (regex(f.path).exec(from) ?? []) : [];
  const fill = (p) => regex(p).source.replace(/\$(\d)/g, (_, i) => groups[Number(i)] ?? '');
  if (t.path && !new RegExp(fill(t.path)).test(to.resolved)) return false;
  if (t.pathNot && new RegExp(fill(t.pathNot)).test(to.resolved)) return false;
  if (t.dependencyTypesNot?.includes('core') && to.coreModule) return false;
  if (t.couldNotResolve === false && to.couldNotResolve) return false;
  return true;
}

/** The rule (with its comment) that a dependency-cruiser violation names. */
export const ruleFor = (violation) =>
  config.forbidden.find((r) => r.name === violation.rule.name && ruleMatches(r, violation.from, { resolved: violation.to }));

/** Cruises the given top-level folders of root; returns dependency-cruiser's result. */
export async function cruiseTree(root, folders) {
  const { output } = await cruise(folders, {
    ...config.options,
    baseDir: root,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
    outputType: 'json',
  });
  return typeof output === 'string' ? JSON.parse(output) : output;
}

// What a test file may not reach through other test code: what it may not import directly.
const LAUNDERED = new Set(['folder-direction', 'nothing-imports-daemon', 'siblings-isolated', 'kafka-client-only-in-bus-kafka', 'tests-follow-their-folder']);

/**
 * For every test file inside a production folder (unit tests, testing/ twins), walks its imports
 * through test code only and reports each module it reaches indirectly (two or more hops) that
 * it could not import directly. Direct imports are dependency-cruiser's; production code in
 * between is checked by its own rules.
 */
export function findLaundering(modules) {
  const rules = config.forbidden.filter((r) => LAUNDERED.has(r.name));
  const bySource = new Map(modules.map((m) => [m.source, m]));
  const violations = [];
  for (const origin of modules) {
    if (!PRODUCTION.includes(topOf(origin.source)) || !isTestCode(origin.source)) continue;
    const seen = new Set([origin.source]);
    let frontier = [{ source: origin.source, via: [] }];
    while (frontier.length > 0) {
      const next = [];
      for (const { source, via } of frontier) {
        for (const dep of bySource.get(source)?.dependencies ?? []) {
          if (seen.has(dep.resolved)) continue;
          seen.add(dep.resolved);
          const path = source === origin.source ? [] : [...via, source];
          if (path.length > 0) {
            const broken = rules.find((r) => ruleMatches(r, origin.source, dep));
            if (broken) {
              violations.push({
                rule: 'no-laundering',
                severity: 'error',
                from: origin.source,
                to: dep.resolved,
                via: path,
                comment: `reached through test code; it may not import it directly (${broken.name}: ${broken.comment})`,
              });
            }
          }
          if (isTestCode(dep.resolved) && !dep.coreModule && !dep.couldNotResolve) next.push({ source: dep.resolved, via: path });
        }
      }
      frontier = next;
    }
  }
  return violations;
}
