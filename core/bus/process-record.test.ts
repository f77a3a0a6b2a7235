import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeEvent, makeEvent, ProbeEvent } from '../events/index.js';
import { DLQ_HEADERS } from '../ports/bus.js';
import { noopMetrics } from '../ports/metrics.js';
import { silentLogger } from '../ports/logger.js';
import { sqliteFullError } from '../testing/index.js';
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

  it("makes exactly the retry policy's attempts without a tracer: the untraced first call counts as attempt 1", async () => {
    const ev = makeEvent({ type: ProbeEvent.type, source: 'urn:t', subject: 's', data: { seq: 1 } });
    const rec = { topic: 'chainwatch.system', partition: 0, offset: '0', key: 's', headers: {}, value: encodeEvent(ev), timestampMs: 0 };
    const run = async (failures: number): Promise<{ calls: number; dead: Record<string, string>[] }> => {
      const dead: Record<string, string>[] = [];
      let calls = 0;
      await processRecord(
        rec,
        {
          group: 'g',
          handler: async () => {
            if (++calls <= failures) throw new Error(`failure ${calls}`);
          },
          retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
          raw: false,
          deadLetter: async (_t: string, r: { headers: Record<string, string> }) => void dead.push(r.headers),
          metrics: busMetrics(noopMetrics),
          logger: silentLogger,
        },
        new AbortController().signal,
      );
      return { calls, dead };
    };
    expect(await run(0)).toEqual({ calls: 1, dead: [] });
    expect(await run(2)).toEqual({ calls: 3, dead: [] });
    const exhausted = await run(5);
    expect(exhausted.calls).toBe(3);
    expect(exhausted.dead).toHaveLength(1);
    expect(exhausted.dead[0]![DLQ_HEADERS.attempts]).toBe('3');
    // The last attempt's own error, as before the fast path existed.
    expect(exhausted.dead[0]![DLQ_HEADERS.reason]).toBe('failure 3');
  });

  it('never dead-letters a record whose handler meets a full disk: it pauses and retries past the retry policy until the write succeeds', async () => {
    const full = sqliteFullError();
    expect((full as { code?: string }).code).toBe('SQLITE_FULL');
    const ev = makeEvent({ type: ProbeEvent.type, source: 'urn:t', subject: 's', data: { seq: 1 } });
    const dead: string[] = [];
    let calls = 0;
    await processRecord(
      { topic: 'chainwatch.system', partition: 0, offset: '0', key: 's', headers: {}, value: encodeEvent(ev), timestampMs: 0 },
      {
        group: 'g',
        // The store wraps the SQLite error, as the audit store does: the cause chain is searched.
        handler: async () => {
          if (++calls <= 4) throw new Error('append failed', { cause: full });
        },
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
        raw: false,
        deadLetter: async (t: string) => void dead.push(t),
        metrics: busMetrics(noopMetrics),
        logger: silentLogger,
      },
      new AbortController().signal,
    );
    expect(dead).toEqual([]);
    expect(calls).toBe(5);
  });

  it('gives up a paused record uncommitted when the consumer stops (rejects: the adapter does not commit)', async () => {
    const ev = makeEvent({ type: ProbeEvent.type, source: 'urn:t', subject: 's', data: { seq: 1 } });
    const dead: string[] = [];
    const stop = new AbortController();
    const enospc = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const run = processRecord(
      { topic: 'chainwatch.system', partition: 0, offset: '0', key: 's', headers: {}, value: encodeEvent(ev), timestampMs: 0 },
      {
        group: 'g',
        handler: async () => {
          throw enospc;
        },
        retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        raw: false,
        deadLetter: async (t: string) => void dead.push(t),
        metrics: busMetrics(noopMetrics),
        logger: silentLogger,
      },
      stop.signal,
    );
    setTimeout(() => stop.abort(), 300);
    await expect(run).rejects.toBeDefined();
    expect(dead).toEqual([]);
  });
});
