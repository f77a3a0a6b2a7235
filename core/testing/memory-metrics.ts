import type { Metrics } from '../index.js';

/** Metrics twin whose counters, gauges and histograms can be read back (`get`). */
export class MemoryMetrics implements Metrics {
  readonly values = new Map<string, number>();
  private key(name: string, labels: Record<string, string> = {}): string {
    const l = Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return `${name}{${l}}`;
  }
  get(name: string, labels?: Record<string, string>): number {
    return this.values.get(this.key(name, labels)) ?? 0;
  }
  counter(name: string) {
    return { inc: (labels?: Record<string, string>, v = 1) => this.values.set(this.key(name, labels), this.get(name, labels) + v) };
  }
  gauge(name: string) {
    return { set: (labels: Record<string, string>, v: number) => this.values.set(this.key(name, labels), v) };
  }
  histogram(name: string) {
    return { observe: (labels: Record<string, string>, v: number) => this.values.set(this.key(name, labels), v) };
  }
}
