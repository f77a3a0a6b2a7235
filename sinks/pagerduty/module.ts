import { defineReceiver } from '../../core/index.js';
import { PagerDutySink, pagerDutySinkConfigSchema } from './index.js';

/** Receiver kind `pagerduty` of the alert pipeline (`sinks.alerts.receivers[]`): PagerDuty Events API v2 (docs/alerts.md). */
export const pagerDutyReceiver = defineReceiver({ kind: 'pagerduty', schema: pagerDutySinkConfigSchema, create: (config) => new PagerDutySink(config) });
