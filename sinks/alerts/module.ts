import { z } from 'zod';
import { type AlertSink, configFingerprint, defineModule, type ReceiverModule } from '../../core/index.js';
import { deadLetterCommands } from './commands.js';
import { alertPipelineConfigSchema } from './config.js';
import { AlertPipeline } from './pipeline.js';

/**
 * `sinks.alerts`: the pipeline's own settings plus its receivers, each `{ name, kind, ... }` with
 * the kind's settings. The receiver kinds are handed in by the composition root (daemon/registry.ts):
 * this folder never imports its siblings. Receivers are rebuilt on every (re)start of the pipeline
 * because stopping the pipeline closes them.
 */
export function alertsSectionSchema(receivers: readonly ReceiverModule[]) {
  const kinds = receivers.map((r) => r.schema.extend({ name: z.string().min(1), kind: z.literal(r.kind) }));
  if (kinds.length === 0) throw new Error('the alert pipeline needs at least one receiver kind');
  const receiver = z.discriminatedUnion('kind', kinds as [(typeof kinds)[number], ...(typeof kinds)[number][]]);
  return alertPipelineConfigSchema
    .extend({ enabled: z.boolean().default(true), receivers: z.array(receiver).min(1) })
    .refine((a) => new Set(a.receivers.map((r) => r.name)).size === a.receivers.length, { message: 'receiver names must be unique', path: ['receivers'] })
    .optional();
}

export function createAlertsModule(receivers: readonly ReceiverModule[]) {
  const byKind = new Map(receivers.map((r) => [r.kind, r]));
  const build = (r: Record<string, unknown>): AlertSink => {
    const kind = byKind.get(String(r.kind));
    if (!kind) throw new Error(`unknown receiver kind ${String(r.kind)}`); // the section schema refuses it first
    return kind.create(r);
  };
  return defineModule({
    id: 'sinks.alerts',
    summary: 'Routes findings to receivers: dedup, aggregation, throttling, durable outbox, dead letters',
    section: { group: 'sinks', key: 'alerts', schema: alertsSectionSchema(receivers) },
    components: (section, host) => {
      if (!section?.enabled) return [];
      const { receivers: configured, enabled: _enabled, ...pipeline } = section;
      const config = { ...pipeline, auditUrl: pipeline.auditUrl ?? host.facts.auditRecordUrl };
      return [
        {
          name: 'sink.alerts',
          kind: 'sink',
          fingerprint: configFingerprint({ section, auditUrl: config.auditUrl }),
          create: (ctx) => new AlertPipeline(config, ctx, configured.map(build)),
        },
      ];
    },
    commands: deadLetterCommands,
  });
}
