import client from 'prom-client';
import type { Counter, Gauge, Histogram, Labels, Metrics } from '../core/index.js';

/**
 * The Metrics port on prom-client. Every name gets the `chainwatch_` prefix; asking twice for the
 * same metric returns the same instrument (components are rebuilt on restart).
 */
export class PromMetrics implements Metrics {
  readonly registry = new client.Registry();
  private readonly made = new Map<string, unknown>();

  constructor(defaultMetrics = true) {
    if (defaultMetrics) client.collectDefaultMetrics({ register: this.registry, prefix: 'chainwatch_' });
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const c = this.get(name, () => new client.Counter({ name: `chainwatch_${name}`, help, labelNames, registers: [this.registry] }));
    return { inc: (labels?: Labels, value = 1) => (labels ? c.inc(labels, value) : c.inc(value)) };
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    const g = this.get(name, () => new client.Gauge({ name: `chainwatch_${name}`, help, labelNames, registers: [this.registry] }));
    return { set: (labels: Labels, value: number) => g.set(labels, value) };
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: number[]): Histogram {
    const h = this.get(
      name,
      () => new client.Histogram({ name: `chainwatch_${name}`, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) }),
    );
    return { observe: (labels: Labels, value: number) => h.observe(labels, value) };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }

  private get<T>(name: string, make: () => T): T {
    let m = this.made.get(name) as T | undefined;
    if (!m) {
      m = make();
      this.made.set(name, m);
    }
    return m;
  }
}
