import type { CheckpointObserved, CloudEvent, Finding, TlogAnomaly } from '../../core/index.js';
import { dedupKey, type FindingDraft, findingEvent } from '../shared/index.js';
import type { LogIntegrityConfig } from './config.js';
import { entryRef, RULES, type RuleSpec } from './rules.js';
import type { ViewRecord } from './views.js';

/**
 * Finding builders of the log-integrity detector: one function per rule family, each giving
 * the dedup key, evidence and wording. Ids derive from the causing event (see shared/findings.ts).
 */
export const DETECTOR = 'log-integrity';

type Out = CloudEvent<Finding>;

export function keyFor(spec: RuleSpec, origin: string, vantage: string, entry?: string): string {
  switch (spec.scope) {
    case 'origin':
      return dedupKey(spec.rule, origin);
    case 'vantage':
      return dedupKey(spec.rule, origin, vantage);
    case 'entry':
      return entry === undefined ? dedupKey(spec.rule, origin) : dedupKey(spec.rule, origin, entry);
    default: {
      const never: never = spec.scope;
      throw new Error(`unhandled scope ${String(never)}`);
    }
  }
}

function draft(cfg: LogIntegrityConfig, spec: RuleSpec, d: Omit<FindingDraft, 'rule' | 'detector' | 'severity' | 'category'>): FindingDraft {
  return { rule: spec.rule, detector: DETECTOR, severity: cfg.severity[spec.severity], category: spec.category, ...d };
}

export function anomalyFinding(cfg: LogIntegrityConfig, spec: RuleSpec, ev: CloudEvent, a: TlogAnomaly): Out {
  const entry = spec.scope === 'entry' ? entryRef(a) : undefined;
  return findingEvent(
    draft(cfg, spec, {
      dedupKey: keyFor(spec, a.origin, a.vantage, entry),
      summary: `${spec.title} on ${a.origin} (seen from ${a.vantage}): ${a.code}`,
      description: a.message,
      subject: a.origin,
      source: ev.source,
      labels: { origin: a.origin, vantage: a.vantage, kind: a.kind },
      evidence: { ...a.evidence, origin: a.origin, url: a.url, vantage: a.vantage, kind: a.kind, code: a.code, ...(entry ? { entry } : {}) },
      links: [{ title: 'log', url: a.url }],
      causedBy: [ev.id],
      observedAt: a.observedAt,
    }),
    [ev.id],
    cfg.source,
  );
}

export function unverifiedCheckpointFinding(cfg: LogIntegrityConfig, ev: CloudEvent, cp: CheckpointObserved): Out {
  const spec = RULES.signatureInvalid;
  return findingEvent(
    draft(cfg, spec, {
      dedupKey: keyFor(spec, cp.origin, cp.vantage),
      summary: `${spec.title} on ${cp.origin} (seen from ${cp.vantage}) at size ${cp.treeSize}`,
      subject: cp.origin,
      source: ev.source,
      labels: { origin: cp.origin, vantage: cp.vantage },
      evidence: {
        origin: cp.origin,
        url: cp.url,
        vantage: cp.vantage,
        treeSize: cp.treeSize,
        rootHash: cp.rootHash,
        note: cp.note,
        code: 'NOTE_SIGNATURE_INVALID',
      },
      links: [{ title: 'log', url: cp.url }],
      causedBy: [ev.id],
      observedAt: cp.observedAt,
    }),
    [ev.id],
    cfg.source,
  );
}

export function splitViewFinding(cfg: LogIntegrityConfig, ev: CloudEvent, cp: CheckpointObserved, prior: ViewRecord): Out {
  const spec = RULES.splitView;
  const sameVantage = prior.vantage === cp.vantage;
  return findingEvent(
    draft(cfg, spec, {
      // Per size: each conflicting size is its own piece of evidence of equivocation.
      dedupKey: dedupKey(spec.rule, cp.origin, cp.treeSize),
      summary: sameVantage
        ? `Log ${cp.origin} signed two different roots for size ${cp.treeSize} (both seen from ${cp.vantage})`
        : `Split view on ${cp.origin}: ${prior.vantage} and ${cp.vantage} saw different roots for size ${cp.treeSize}`,
      subject: cp.origin,
      source: ev.source,
      labels: { origin: cp.origin, vantage: cp.vantage, priorVantage: prior.vantage },
      evidence: {
        origin: cp.origin,
        treeSize: cp.treeSize,
        code: 'TLOG_SPLIT_VIEW',
        sameVantage,
        first: {
          vantage: prior.vantage,
          rootHash: prior.root,
          observedAt: prior.observedAt,
          eventId: prior.eventId,
          ...(prior.extendedTo !== undefined ? { provedConsistentUpTo: prior.extendedTo } : {}),
        },
        second: { vantage: cp.vantage, rootHash: cp.rootHash, observedAt: cp.observedAt, eventId: ev.id, url: cp.url, note: cp.note },
      },
      links: [{ title: 'log', url: cp.url }],
      causedBy: [prior.eventId, ev.id],
      observedAt: cp.observedAt,
    }),
    [ev.id],
    cfg.source,
  );
}

export function infraResolvedFinding(cfg: LogIntegrityConfig, spec: RuleSpec, key: string, ev: CloudEvent, cp: CheckpointObserved): Out {
  return findingEvent(
    draft(cfg, spec, {
      status: 'resolved',
      dedupKey: key,
      summary: `Resolved: ${spec.title.toLowerCase()} on ${cp.origin} (${cp.vantage} served a verified checkpoint)`,
      subject: cp.origin,
      source: ev.source,
      labels: { origin: cp.origin, vantage: cp.vantage },
      evidence: { origin: cp.origin, url: cp.url, vantage: cp.vantage, treeSize: cp.treeSize, rootHash: cp.rootHash },
      links: [{ title: 'log', url: cp.url }],
      causedBy: [ev.id],
      observedAt: cp.observedAt,
    }),
    [ev.id],
    cfg.source,
  );
}

export interface StaleFacts {
  origin: string;
  url: string;
  mode: 'growth' | 'verified';
  lastSize: number;
  lastVerifiedAt: string;
  lastGrowthAt: string;
  afterMs: number;
}

/** Stale findings come from the timer: their id derives from the reference time, not an event. */
export function staleFinding(cfg: LogIntegrityConfig, f: StaleFacts, status: 'firing' | 'resolved', reference: string, at: Date, causedBy: string[] = []): Out {
  const spec = RULES.stale;
  const ageMin = Math.round((at.getTime() - Date.parse(reference)) / 60_000);
  return findingEvent(
    draft(cfg, spec, {
      status,
      dedupKey: keyFor(spec, f.origin, ''),
      summary:
        status === 'firing'
          ? `Log ${f.origin} is stale: no ${f.mode === 'growth' ? 'tree growth' : 'verified checkpoint'} for ${ageMin} min (size ${f.lastSize})`
          : `Resolved: log ${f.origin} moves again (size ${f.lastSize})`,
      subject: f.origin,
      labels: { origin: f.origin },
      evidence: {
        origin: f.origin,
        url: f.url,
        mode: f.mode,
        lastSize: f.lastSize,
        lastVerifiedAt: f.lastVerifiedAt,
        lastGrowthAt: f.lastGrowthAt,
        staleAfterMs: f.afterMs,
        code: 'TLOG_STALE',
      },
      links: [{ title: 'log', url: f.url }],
      causedBy,
      observedAt: at.toISOString(),
    }),
    [reference],
    cfg.source,
  );
}
