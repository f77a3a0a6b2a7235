import type { FindingCategory, TlogAnomaly, TlogAnomalyKind } from '../../core/index.js';
import type { SeverityKey } from './config.js';

/**
 * The rules of this detector, as data. Anomaly kinds come from the collector; each maps onto one
 * rule name (stable: sinks route and dedup on it), a category and the config key of its severity.
 * `scope` says what the dedup key is made of:
 *   origin  - one alert per log (a fork stays one incident while polls keep failing)
 *   entry   - one alert per log entry (each bad entry is its own problem)
 *   vantage - one alert per log and vantage point (so it can be resolved per vantage)
 */
export type Scope = 'origin' | 'entry' | 'vantage';

export interface RuleSpec {
  rule: string;
  category: FindingCategory;
  severity: SeverityKey;
  scope: Scope;
  /** Alert title fragment: "<title> on <origin>". */
  title: string;
}

export const RULES = {
  signatureInvalid: {
    rule: 'tlog.signature_invalid',
    category: 'security',
    severity: 'signatureInvalid',
    scope: 'origin',
    title: 'Tree head with an invalid signature',
  },
  consistencyFailed: {
    rule: 'tlog.consistency_failed',
    category: 'security',
    severity: 'consistencyFailed',
    scope: 'origin',
    title: 'Consistency proof failed (possible fork)',
  },
  treeShrank: { rule: 'tlog.tree_shrank', category: 'security', severity: 'treeShrank', scope: 'origin', title: 'Tree size went backwards' },
  inclusionFailed: {
    rule: 'tlog.inclusion_failed',
    category: 'security',
    severity: 'inclusionFailed',
    scope: 'entry',
    title: 'Entry failed its inclusion proof',
  },
  setInvalid: { rule: 'tlog.set_invalid', category: 'security', severity: 'setInvalid', scope: 'entry', title: 'Entry with an invalid signed entry timestamp' },
  entryMalformed: { rule: 'tlog.entry_malformed', category: 'security', severity: 'entryMalformed', scope: 'entry', title: 'Malformed log entry' },
  unreachable: { rule: 'tlog.unreachable', category: 'infrastructure', severity: 'infrastructure', scope: 'vantage', title: 'Log unreachable' },
  serverError: { rule: 'tlog.server_error', category: 'infrastructure', severity: 'infrastructure', scope: 'vantage', title: 'Log answers with server errors' },
  rateLimited: { rule: 'tlog.rate_limited', category: 'infrastructure', severity: 'infrastructure', scope: 'vantage', title: 'Log rate-limits us' },
  malformedResponse: {
    rule: 'tlog.malformed_response',
    category: 'infrastructure',
    severity: 'infrastructure',
    scope: 'vantage',
    title: 'Log returned a malformed response',
  },
  splitView: {
    rule: 'tlog.split_view',
    category: 'security',
    severity: 'splitView',
    scope: 'origin',
    title: 'Split view: two different roots for one tree size',
  },
  stale: { rule: 'tlog.stale', category: 'security', severity: 'stale', scope: 'origin', title: 'Log is stale: no new verified checkpoint' },
} as const satisfies Record<string, RuleSpec>;

export function ruleForAnomaly(kind: TlogAnomalyKind): RuleSpec {
  switch (kind) {
    case 'signature_invalid':
      return RULES.signatureInvalid;
    case 'consistency_failed':
      return RULES.consistencyFailed;
    case 'tree_shrank':
      return RULES.treeShrank;
    case 'inclusion_failed':
      return RULES.inclusionFailed;
    case 'set_invalid':
      return RULES.setInvalid;
    case 'entry_malformed':
      return RULES.entryMalformed;
    case 'unreachable':
      return RULES.unreachable;
    case 'server_error':
      return RULES.serverError;
    case 'rate_limited':
      return RULES.rateLimited;
    case 'malformed_response':
      return RULES.malformedResponse;
    default: {
      const never: never = kind;
      throw new Error(`unhandled anomaly kind ${String(never)}`);
    }
  }
}

/** Infrastructure kinds are conditions that clear; security kinds are evidence that stays. */
export function isInfrastructure(kind: TlogAnomalyKind): boolean {
  return ruleForAnomaly(kind).category === 'infrastructure';
}

/**
 * Which entry an entry-scoped anomaly is about. Collectors put the index in evidence under one of
 * these names; without one the alert falls back to one per (rule, origin).
 */
export function entryRef(a: TlogAnomaly): string | undefined {
  for (const k of ['logIndex', 'treeIndex', 'index', 'uuid']) {
    const v = a.evidence[k];
    if (typeof v === 'number' || (typeof v === 'string' && v.length > 0)) return `${k}=${v}`;
  }
  return undefined;
}
