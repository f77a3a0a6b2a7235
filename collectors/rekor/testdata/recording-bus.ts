import { type Bus, type CloudEvent, familyOf, topicFor, validateEvent } from '../../../core/index.js';

/**
 * Minimal Bus twin for this folder's unit tests (collectors/ may not import test/helpers):
 * validates like a real bus, records per topic, can be told to fail. Subscriptions are not needed here.
 */
export class RecordingBus implements Bus {
  readonly kind = 'embedded' as const;
  readonly topics = new Map<string, CloudEvent[]>();
  /** When set, publish() rejects with it (a broker outage). */
  failWith: Error | undefined;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async flush(): Promise<void> {}
  health() {
    return { ready: true, detail: 'recording' };
  }
  async publish(events: CloudEvent | CloudEvent[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    for (const ev of (Array.isArray(events) ? events : [events]).map((e) => validateEvent(e))) {
      const t = topicFor(familyOf(ev.type));
      this.topics.set(t, [...(this.topics.get(t) ?? []), ev]);
    }
  }
  events(topic: string): CloudEvent[] {
    return this.topics.get(topic) ?? [];
  }
  async publishRaw(): Promise<void> {
    throw new Error('RecordingBus: publishRaw not supported');
  }
  async subscribe(): Promise<never> {
    throw new Error('RecordingBus: subscribe not supported');
  }
  async lag(): Promise<[]> {
    return [];
  }
}
