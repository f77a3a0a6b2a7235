import { defineReceiver } from '../../core/index.js';
import { JiraSink, jiraSinkConfigSchema } from './index.js';

/** Receiver kind `jira` of the alert pipeline (`sinks.alerts.receivers[]`): Jira issues, one per dedup key (docs/tickets.md). */
export const jiraReceiver = defineReceiver({ kind: 'jira', schema: jiraSinkConfigSchema, create: (config) => new JiraSink(config) });
