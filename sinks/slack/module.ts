import { defineReceiver } from '../../core/index.js';
import { createSlackSink, slackSinkConfigSchema } from './index.js';

/** Receiver kind `slack` of the alert pipeline (`sinks.alerts.receivers[]`): Slack incoming webhooks or chat.postMessage (docs/alerts.md). */
export const slackReceiver = defineReceiver({ kind: 'slack', schema: slackSinkConfigSchema, create: (config) => createSlackSink(config) });
