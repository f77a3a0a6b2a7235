import { defineReceiver } from '../../core/index.js';
import { AlertmanagerSink, alertmanagerSinkConfigSchema } from './index.js';

/** Receiver kind `alertmanager` of the alert pipeline (`sinks.alerts.receivers[]`): Prometheus Alertmanager's v2 API (docs/alerts.md). */
export const alertmanagerReceiver = defineReceiver({
  kind: 'alertmanager',
  schema: alertmanagerSinkConfigSchema,
  create: (config) => new AlertmanagerSink(config),
});
