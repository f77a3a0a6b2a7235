import type { Metrics } from '../../core/index.js';

/** Per-sink and per-route metrics of the alert pipeline (the daemon prefixes `chainwatch_`). */
export function pipelineMetrics(m: Metrics) {
  return {
    findings: m.counter('alerts_findings_total', 'Findings seen by the alert pipeline', ['status', 'outcome']),
    suppressed: m.counter('alerts_dedup_suppressed_total', 'Repeat occurrences within a dedup window (aggregated, not sent)', ['route']),
    throttled: m.counter('alerts_throttled_total', 'Notifications held by a route throttle (sent later, aggregated)', ['route']),
    unrouted: m.counter('alerts_unrouted_total', 'Findings that matched no route'),
    resolveUnmatched: m.counter('alerts_resolve_unmatched_total', 'Resolved findings with no open alert', ['route']),
    enqueued: m.counter('sink_notifications_enqueued_total', 'Notifications written to a sink outbox', ['sink']),
    delivered: m.counter('sink_notifications_delivered_total', 'Notifications a sink accepted', ['sink']),
    failed: m.counter('sink_delivery_failures_total', 'Failed delivery attempts', ['sink', 'code']),
    retried: m.counter('sink_delivery_retries_total', 'Delivery attempts retried', ['sink']),
    deadLettered: m.counter('sink_notifications_dead_lettered_total', 'Notifications moved to the dead-letter table', ['sink']),
    queued: m.gauge('sink_outbox_queued', 'Notifications pending in a sink outbox', ['sink']),
  };
}
