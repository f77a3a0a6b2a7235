import type { BusHealth } from '../../core/index.js';

/**
 * health() is synchronous, so the bus keeps a small state machine fed by the Kafka clients' events
 * (broker connect/disconnect, consumer errors), by the outcome of every broker call the bus
 * makes (publish, admin, commit), and by a periodic probe that covers idle periods.
 * Ready = started, producer connected, and the last broker interaction succeeded.
 */
export class HealthTracker {
  private started = false;
  private stopped = false;
  private producerConnected = false;
  private lastOk = false;
  private lastDetail = 'not started';

  markStarted(): void {
    this.started = true;
  }
  markStopped(): void {
    this.stopped = true;
    this.lastDetail = 'stopped';
  }
  producer(connected: boolean): void {
    this.producerConnected = connected;
    if (!connected) this.lastDetail = 'producer disconnected';
  }
  ok(): void {
    this.lastOk = true;
    this.lastDetail = 'ok';
  }
  failed(detail: string): void {
    this.lastOk = false;
    this.lastDetail = detail.slice(0, 300);
  }

  snapshot(): BusHealth {
    if (!this.started) return { ready: false, detail: 'not started' };
    if (this.stopped) return { ready: false, detail: 'stopped' };
    if (!this.producerConnected) return { ready: false, detail: 'producer disconnected' };
    return { ready: this.lastOk, detail: this.lastDetail };
  }
}
