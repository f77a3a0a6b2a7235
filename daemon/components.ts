import { z } from 'zod';
import type { Component, ComponentContext } from '../core/index.js';
import { createIdentityWatchDetector, identityWatchConfigSchema } from '../detectors/identity-watch/index.js';
import { createLogIntegrityDetector, logIntegrityConfigSchema } from '../detectors/log-integrity/index.js';
import { auditConfigSchema, createAuditSink } from '../sinks/audit/index.js';
import { alertsSectionSchema, createAlerts } from './alerts.js';
import { createRekor, rekorSectionSchema } from './rekor.js';
import { createJournalSink, journalSinkConfigSchema } from '../sinks/journal/journal-sink.js';

/**
 * The component registry: which config section builds which component. Adding a collector,
 * detector or sink = one schema entry in `componentSections` and one case in `buildComponents`.
 * Kinds matter for shutdown order: collectors stop first (no new intake), then detectors, then
 * sinks (so findings produced while draining still get delivered).
 */
export type ComponentKind = 'collector' | 'detector' | 'sink';

export const componentSections = {
  collectors: z
    .object({
      /** Rekor v1 and tile logs to follow (docs/rekor.md). */
      rekor: rekorSectionSchema.default([]),
    })
    .strict()
    .default({ rekor: [] }),
  detectors: z
    .object({
      logIntegrity: logIntegrityConfigSchema.optional(),
      identityWatch: identityWatchConfigSchema.optional(),
    })
    .strict()
    .default({}),
  sinks: z
    .object({
      journal: journalSinkConfigSchema.optional(),
      /** Alert routing, dedup and delivery to receivers (docs/alerts.md, docs/tickets.md). */
      alerts: alertsSectionSchema.optional(),
      /** The audit trail is on by default (SQLite under dataDir); `enabled: false` turns it off. */
      audit: auditConfigSchema.default(auditConfigSchema.parse({})),
    })
    .strict()
    .default({ audit: auditConfigSchema.parse({}) }),
};

export interface BuiltComponent {
  kind: ComponentKind;
  /** Builds a fresh instance (the supervisor builds a new one on every restart). */
  create(ctx: ComponentContext): Component;
  name: string;
}

type Sections = { [K in keyof typeof componentSections]: z.output<(typeof componentSections)[K]> };

/** `publicUrl`: where this daemon is reachable, for audit-record links in alerts. */
export function buildComponents(cfg: Sections, publicUrl?: string): BuiltComponent[] {
  const out: BuiltComponent[] = [];
  for (const log of cfg.collectors.rekor) {
    out.push({ kind: 'collector', name: `collector.rekor:${log.vantage}:${log.url}`, create: (ctx) => createRekor(log, ctx) });
  }
  const { logIntegrity, identityWatch } = cfg.detectors;
  if (logIntegrity && logIntegrity.enabled !== false)
    out.push({ kind: 'detector', name: 'detector.log-integrity', create: (ctx) => createLogIntegrityDetector(logIntegrity, ctx) });
  if (identityWatch && identityWatch.enabled !== false)
    out.push({ kind: 'detector', name: 'detector.identity-watch', create: (ctx) => createIdentityWatchDetector(identityWatch, ctx) });
  const audit = cfg.sinks.audit;
  if (audit.enabled) out.push({ kind: 'sink', name: 'sink.audit', create: (ctx) => createAuditSink(audit, ctx) });
  const alerts = cfg.sinks.alerts;
  if (alerts?.enabled) {
    const base = cfg.sinks.audit.enabled ? (cfg.sinks.audit.publicUrl ?? publicUrl) : undefined;
    const auditUrl = base ? `${base.replace(/\/$/, '')}/audit/records/{findingId}` : undefined;
    out.push({ kind: 'sink', name: 'sink.alerts', create: (ctx) => createAlerts(alerts, auditUrl, ctx) });
  }
  const journal = cfg.sinks.journal;
  if (journal?.enabled) out.push({ kind: 'sink', name: 'sink.journal', create: (ctx) => createJournalSink(journal, ctx) });
  return out;
}
