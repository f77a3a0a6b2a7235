import type { BusHealth } from '../../core/index.js';

/**
 * health() is synchronous, so the bus keeps a small state machine fed by the Kafka clients' errors
 * (client and consumer 'error' events, stream failures), by the outcome of every broker call the
 * bus makes (publish, admin, commit), and by a periodic probe that covers idle periods. A producer
 * disconnect only triggers a probe (brokers close idle connections): whether the producer can reach
 * the brokers is what the probe's producer round trip says.
 * Ready = started (the producer connected once), not stopped, and the last broker interaction succeeded.
 */
export class HealthTracker {
  private started = false;
  private stopped = false;
  private lastOk = false;
  private lastDetail = 'not started';

  markStarted(): void {
    this.started = true;
  }
  markStopped(): void {
    this.stopped = true;
    this.lastDetail = 'stopped';
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
    return { ready: this.lastOk, detail: this.lastDetail };
  }
}
