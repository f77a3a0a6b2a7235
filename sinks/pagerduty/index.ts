export {
  PagerDutySink,
  createPagerDutySink,
  pagerDutySinkConfigSchema,
  pagerDutyDedupKey,
  PAGERDUTY_SEVERITY,
  type PagerDutySinkConfig,
  type PagerDutyEvent,
  type PagerDutySeverity,
} from './pagerduty.js';
