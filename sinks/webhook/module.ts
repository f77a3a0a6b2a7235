import { defineReceiver } from '../../core/index.js';
import { WebhookSink, webhookSinkConfigSchema } from './index.js';

/** Receiver kind `webhook` of the alert pipeline (`sinks.alerts.receivers[]`): signed JSON to any HTTPS endpoint (docs/alerts.md). */
export const webhookReceiver = defineReceiver({ kind: 'webhook', schema: webhookSinkConfigSchema, create: (config) => new WebhookSink(config) });
