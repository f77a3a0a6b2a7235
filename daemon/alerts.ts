import { z } from 'zod';
import type { AlertSink, Component, ComponentContext } from '../core/index.js';
import { alertmanagerSinkConfigSchema, createAlertmanagerSink } from '../sinks/alertmanager/index.js';
import { createEmailSink, emailSinkConfigSchema } from '../sinks/email/index.js';
import { createGitHubSink, githubSinkConfigSchema } from '../sinks/github/index.js';
import { createJiraSink, jiraSinkConfigSchema } from '../sinks/jira/index.js';
import { createPagerDutySink, pagerDutySinkConfigSchema } from '../sinks/pagerduty/index.js';
import { createServiceNowSink, serviceNowSinkConfigSchema } from '../sinks/servicenow/index.js';
import { alertPipelineConfigSchema, createAlertPipeline } from '../sinks/alerts/index.js';
import { createSlackSink, slackSinkConfigSchema } from '../sinks/slack/index.js';
import { createWebhookSink, webhookSinkConfigSchema } from '../sinks/webhook/index.js';

/**
 * `sinks.alerts`: the alert pipeline's own settings plus its receivers, each `{ name, kind, ... }`
 * with the kind's adapter config. Receivers are rebuilt on every (re)start of the pipeline
 * because stopping the pipeline closes them.
 */
export const receiverSchema = z.discriminatedUnion('kind', [
  webhookSinkConfigSchema.extend({ kind: z.literal('webhook') }),
  alertmanagerSinkConfigSchema.extend({ kind: z.literal('alertmanager') }),
  emailSinkConfigSchema.extend({ kind: z.literal('email') }),
  slackSinkConfigSchema.extend({ kind: z.literal('slack') }),
  pagerDutySinkConfigSchema.extend({ kind: z.literal('pagerduty') }),
  jiraSinkConfigSchema.extend({ kind: z.literal('jira') }),
  githubSinkConfigSchema.extend({ kind: z.literal('github') }),
  serviceNowSinkConfigSchema.extend({ kind: z.literal('servicenow') }),
]);
export type ReceiverConfig = z.output<typeof receiverSchema>;

export const alertsSectionSchema = alertPipelineConfigSchema
  .extend({
    enabled: z.boolean().default(true),
    receivers: z.array(receiverSchema).min(1),
  })
  .refine((a) => new Set(a.receivers.map((r) => r.name)).size === a.receivers.length, { message: 'receiver names must be unique', path: ['receivers'] });

function buildReceiver(r: ReceiverConfig): AlertSink {
  switch (r.kind) {
    case 'webhook':
      return createWebhookSink(r);
    case 'alertmanager':
      return createAlertmanagerSink(r);
    case 'email':
      return createEmailSink(r);
    case 'slack':
      return createSlackSink(r);
    case 'pagerduty':
      return createPagerDutySink(r);
    case 'jira':
      return createJiraSink(r);
    case 'github':
      return createGitHubSink(r);
    case 'servicenow':
      return createServiceNowSink(r);
    default: {
      const never: never = r;
      throw new Error(`unknown receiver kind ${JSON.stringify(never)}`);
    }
  }
}

export function createAlerts(section: z.output<typeof alertsSectionSchema>, auditUrl: string | undefined, ctx: ComponentContext): Component {
  const { receivers, enabled: _enabled, ...pipeline } = section;
  return createAlertPipeline({ ...pipeline, auditUrl: pipeline.auditUrl ?? auditUrl }, ctx, receivers.map(buildReceiver));
}
