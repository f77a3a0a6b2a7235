export {
  ServiceNowSink,
  createServiceNowSink,
  serviceNowSinkConfigSchema,
  serviceNowCorrelationId,
  SERVICENOW_URGENCY_IMPACT,
  type ServiceNowSinkConfig,
} from './servicenow.js';
