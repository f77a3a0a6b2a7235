import { defineReceiver } from '../../core/index.js';
import { GitHubSink, githubSinkConfigSchema } from './index.js';

/** Receiver kind `github` of the alert pipeline (`sinks.alerts.receivers[]`): GitHub Issues, one per dedup key (docs/tickets.md). */
export const gitHubReceiver = defineReceiver({ kind: 'github', schema: githubSinkConfigSchema, create: (config) => new GitHubSink(config) });
