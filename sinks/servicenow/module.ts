import { defineReceiver } from '../../core/index.js';
import { ServiceNowSink, serviceNowSinkConfigSchema } from './index.js';

/** Receiver kind `servicenow` of the alert pipeline (`sinks.alerts.receivers[]`): ServiceNow incidents, one per dedup key (docs/tickets.md). */
export const serviceNowReceiver = defineReceiver({ kind: 'servicenow', schema: serviceNowSinkConfigSchema, create: (config) => new ServiceNowSink(config) });
