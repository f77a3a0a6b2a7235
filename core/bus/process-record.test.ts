import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeEvent, makeEvent, ProbeEvent } from '../events/index.js';
import { noopMetrics } from '../ports/metrics.js';
import { silentLogger } from '../ports/logger.js';
import { busMetrics, processRecord } from './process-record.js';

describe('processRecord', () => {
  it('wraps each event handling in an OpenTelemetry span named after the topic', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    const ev = makeEvent({ type: ProbeEvent.type, source: 'urn:t', subject: 's', data: { seq: 1 } });
    const dead: string[] = [];
    const deps = {
      group: 'g',
      handler: async () => {},
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      raw: false,
      deadLetter: async (t: string) => void dead.push(t),
      metrics: busMetrics(noopMetrics),
      logger: silentLogger,
    };
    await processRecord(
      { topic: 'chainwatch.system', partition: 0, offset: '0', key: 's', headers: {}, value: encodeEvent(ev), timestampMs: 0 },
      deps,
      new AbortController().signal,
    );
    await processRecord(
      { topic: 'chainwatch.system', partition: 0, offset: '1', key: 's', headers: {}, value: encodeEvent(ev), timestampMs: 0 },
      {
        ...deps,
        handler: async () => {
          throw new Error('x');
        },
      },
      new AbortController().signal,
    );
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['handle chainwatch.system', 'handle chainwatch.system']);
    expect(spans[0]!.attributes['cloudevents.event_type']).toBe(ProbeEvent.type);
    expect(spans[0]!.status.code).toBe(1); // OK
    expect(spans[1]!.status.code).toBe(2); // ERROR
    expect(dead).toEqual(['chainwatch.system.dlq']);
    trace.disable();
  });
});
