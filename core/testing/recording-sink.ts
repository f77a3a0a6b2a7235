import type { AlertSink, DeliveryResult, Notification } from '../index.js';

export type SinkBehaviour = (n: Notification, call: number) => DeliveryResult | Promise<DeliveryResult>;

/** Records every call; `behaviour` may throw (HttpError...) to script failures. */
export class RecordingSink implements AlertSink {
  readonly calls: Notification[] = [];
  readonly delivered: Notification[] = [];
  closed = false;
  constructor(
    readonly name: string,
    public behaviour: SinkBehaviour = () => ({}),
    readonly kind = 'recording',
  ) {}
  async deliver(n: Notification): Promise<DeliveryResult> {
    this.calls.push(n);
    const res = await this.behaviour(n, this.calls.length);
    this.delivered.push(n);
    return res;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
