import { type Finding, severityRank } from '../../core/index.js';
import type { RouteConfig } from './config.js';

/**
 * Routing: an ordered list of routes, each a conjunction of matchers. Evaluation stops at the
 * first match unless that route says `continue: true` (Alertmanager's semantics, which operators
 * already know). Matchers are compiled once: this runs for every finding.
 */
export interface CompiledRoute {
  readonly name: string;
  readonly sinks: readonly string[];
  readonly continue: boolean;
  readonly dedupWindowMs: number;
  readonly throttle: { max: number; intervalMs: number } | undefined;
  matches(f: Finding): boolean;
}

type Predicate = (f: Finding) => boolean;

function nameMatcher(patterns: readonly string[]): (value: string | undefined) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (v) => v !== undefined && (exact.has(v) || prefixes.some((p) => v.startsWith(p)));
}

export function compileRoute(r: RouteConfig, defaultDedupWindowMs: number): CompiledRoute {
  const preds: Predicate[] = [];
  const m = r.match;
  if (m.severity !== undefined) {
    const min = severityRank(m.severity);
    preds.push((f) => severityRank(f.severity) >= min);
  }
  if (m.category) {
    const cats = new Set<string>(m.category);
    preds.push((f) => cats.has(f.category));
  }
  if (m.rule) {
    const ok = nameMatcher(m.rule);
    preds.push((f) => ok(f.rule));
  }
  if (m.tenant) {
    const ok = nameMatcher(m.tenant);
    preds.push((f) => ok(f.tenant));
  }
  if (m.source !== undefined) {
    const re = new RegExp(m.source);
    preds.push((f) => f.source !== undefined && re.test(f.source));
  }
  if (m.subject !== undefined) {
    const re = new RegExp(m.subject);
    preds.push((f) => re.test(f.subject));
  }
  if (m.labels) {
    const want = Object.entries(m.labels);
    preds.push((f) => want.every(([k, v]) => f.labels[k] === v));
  }
  return {
    name: r.name,
    sinks: r.sinks,
    continue: r.continue,
    dedupWindowMs: r.dedupWindow ?? defaultDedupWindowMs,
    throttle: r.throttle ? { max: r.throttle.max, intervalMs: r.throttle.interval } : undefined,
    matches: (f) => preds.every((p) => p(f)),
  };
}

export class Router {
  readonly routes: readonly CompiledRoute[];
  constructor(routes: readonly RouteConfig[], defaultDedupWindowMs: number) {
    this.routes = routes.map((r) => compileRoute(r, defaultDedupWindowMs));
  }

  /** Routes a finding takes, in order; empty when nothing matched (counted as unrouted by the caller). */
  route(f: Finding): CompiledRoute[] {
    const out: CompiledRoute[] = [];
    for (const r of this.routes) {
      if (!r.matches(f)) continue;
      out.push(r);
      if (!r.continue) break;
    }
    return out;
  }
}
