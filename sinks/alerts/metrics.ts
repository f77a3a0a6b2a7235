import type { Metrics } from '../../core/index.js';

/**
 * Per-sink and per-route metrics of the alert pipeline (the daemon prefixes `chainwatch_`). The
 * configured sinks and routes are known up front: their series start at zero, so /metrics lists
 * them (and rate() works) before the first notification.
 */
export function pipelineMetrics(m: Metrics, known: { sinks: readonly string[]; routes: readonly string[] } = { sinks: [], routes: [] }) {
  const metrics = {
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
  for (const sink of known.sinks) {
    for (const c of [metrics.enqueued, metrics.delivered, metrics.retried, metrics.deadLettered]) c.inc({ sink }, 0);
  }
  for (const route of known.routes) {
    for (const c of [metrics.suppressed, metrics.throttled, metrics.resolveUnmatched]) c.inc({ route }, 0);
  }
  return metrics;
}
