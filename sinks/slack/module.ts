import { defineReceiver } from '../../core/index.js';
import { SlackSink, slackSinkConfigSchema } from './index.js';

/** Receiver kind `slack` of the alert pipeline (`sinks.alerts.receivers[]`): Slack incoming webhooks or chat.postMessage (docs/alerts.md). */
export const slackReceiver = defineReceiver({ kind: 'slack', schema: slackSinkConfigSchema, create: (config) => new SlackSink(config) });
