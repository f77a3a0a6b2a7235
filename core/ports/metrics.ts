/**
 * Metrics port. The daemon implements it with prom-client (names get the `chainwatch_` prefix
 * there); components only name their metric and labels. A no-op twin serves tests.
 */
export type Labels = Record<string, string>;

export interface Counter {
  inc(labels?: Labels, value?: number): void;
}
export interface Gauge {
  set(labels: Labels, value: number): void;
}
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

export interface Metrics {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: number[]): Histogram;
}

const noop = { inc() {}, set() {}, observe() {} };
export const noopMetrics: Metrics = {
  counter: () => noop,
  gauge: () => noop,
  histogram: () => noop,
};
