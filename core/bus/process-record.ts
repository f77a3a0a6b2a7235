import { ProxyTracerProvider, SpanStatusCode, trace, type TracerProvider } from '@opentelemetry/api';
import { describeError, HandlerError } from '../errors.js';
import { decodeEvent, deadLetterTopic, EVENT_FAMILIES, topicFor } from '../events/registry.js';
import { type BusRecord, DLQ_HEADERS, type Handler, type RawBusRecord } from '../ports/bus.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import { type RetryPolicy, withRetry } from '../retry.js';
import { storageFault, untilStorageRecovers } from '../storage.js';

/**
 * The one place where a consumed record is validated, handled (with retries), and dead-lettered.
 * Both bus adapters call it per record and commit the record's offset only after it resolves:
 * at that point the handler succeeded (its effects are durable) or the record sits in the DLQ.
 * It never throws for bad input or handler failure; it rejects only when the DLQ write fails,
 * in which case the adapter must not commit (the record is redelivered).
 */
export interface RecordProcessorDeps {
  group: string;
  handler: Handler;
  retry: RetryPolicy;
  raw: boolean;
  deadLetter: (topic: string, rec: { key: string; value: Buffer; headers: Record<string, string> }) => Promise<void>;
  metrics: BusMetrics;
  logger: Logger;
}

export interface BusMetrics {
  in: (topic: string) => void;
  failed: (topic: string, code: string) => void;
  deadLettered: (topic: string) => void;
  latency: (topic: string, seconds: number) => void;
}

export function busMetrics(m: Metrics): BusMetrics {
  const consumed = m.counter('bus_events_consumed_total', 'Events handed to handlers', ['topic']);
  const failed = m.counter('bus_events_failed_total', 'Events that failed validation or handling', ['topic', 'code']);
  const dlq = m.counter('bus_events_dead_lettered_total', 'Events moved to the dead-letter topic', ['topic']);
  const lat = m.histogram('bus_handler_duration_seconds', 'Handler latency', ['topic'], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30]);
  for (const topic of knownTopics()) {
    consumed.inc({ topic }, 0);
    dlq.inc({ topic }, 0);
  }
  // One label object per topic, reused: these run per consumed record.
  const byTopic = new Map<string, { topic: string }>();
  const labels = (topic: string): { topic: string } => {
    let l = byTopic.get(topic);
    if (!l) byTopic.set(topic, (l = { topic }));
    return l;
  };
  return {
    in: (topic) => consumed.inc(labels(topic)),
    failed: (topic, code) => failed.inc({ topic, code }),
    deadLettered: (topic) => dlq.inc(labels(topic)),
    latency: (topic, seconds) => lat.observe(labels(topic), seconds),
  };
}

/**
 * The topics every daemon has (one per event family). Counters labelled by topic start at zero for
 * these, so /metrics shows the series (and rate() works) before the first event, not only HELP/TYPE.
 */
export function knownTopics(): string[] {
  return EVENT_FAMILIES.map((f) => topicFor(f));
}

const tracer = trace.getTracer('chainwatch.bus');
/** What the API's global provider delegates to while no SDK is registered (a module-level singleton). */
const NOOP_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();

/**
 * Whether spans go anywhere: a provider was registered (daemon/tracing.ts with an OTLP endpoint, or a
 * test). Without one, the API's no-op span still costs a context switch and a few objects per event,
 * which is a measurable share of the bus' own work (docs/benchmarks-bus-embedded.md), so the handler
 * then runs without a span. Checked per record: a provider registered later takes effect at once.
 */
function tracing(): boolean {
  const p = trace.getTracerProvider();
  return !(p instanceof ProxyTracerProvider) || p.getDelegate() !== NOOP_PROVIDER;
}

export async function processRecord(rec: RawBusRecord, deps: RecordProcessorDeps, signal: AbortSignal): Promise<void> {
  deps.metrics.in(rec.topic);
  let event;
  try {
    event = decodeEvent(rec.value);
  } catch (err) {
    if (deps.raw) {
      // Raw consumers (events tail) see everything, including what does not validate.
      event = { specversion: '1.0' as const, id: '', source: '', type: '', data: rec.value.toString('utf8') };
    } else {
      const { code, message } = describeError(err);
      deps.metrics.failed(rec.topic, code);
      await deadLetter(rec, deps, code, message, 0);
      return;
    }
  }
  const record = { topic: rec.topic, partition: rec.partition, offset: rec.offset, key: rec.key, headers: rec.headers, event };
  const started = performance.now();
  try {
    // Without tracing, the common case first and without the retry and storage-pause machinery:
    // one call of the handler. Only a failure takes the full path below, where this call's outcome
    // counts as the first attempt. With tracing, the full path from the start (one span per record).
    let first: unknown;
    if (!tracing()) {
      try {
        await callHandler(record, deps, signal);
        return;
      } catch (err) {
        first = err;
      }
    }
    // A storage fault (a full disk under the handler's store) is infrastructure trouble, not a
    // bad record: the handler is paused and retried until the storage recovers, never
    // dead-lettered. Its store rolled the failed write back, so the retry starts clean.
    await untilStorageRecovers(
      () => {
        const prior = first;
        first = undefined;
        return handleOnce(record, deps, signal, prior);
      },
      signal,
      (err, pause) => {
        const code = storageFault(err)!;
        deps.metrics.failed(rec.topic, code);
        if (pause === 1)
          deps.logger.warn({ topic: rec.topic, offset: rec.offset, eventId: event.id, code }, 'handler cannot write: storage fault; paused, retrying');
      },
    );
  } catch (err) {
    if (signal.aborted) throw err; // shutting down: do not commit, the record is redelivered
    const root = err instanceof Error && err.cause instanceof HandlerError ? err.cause : err;
    const inner = root instanceof HandlerError && root.cause !== undefined ? root.cause : root;
    const { code, message } = describeError(inner);
    deps.metrics.failed(rec.topic, code);
    deps.logger.warn({ topic: rec.topic, offset: rec.offset, eventId: event.id, code }, 'handler failed; dead-lettering');
    const attempts = (err as { attempts?: number }).attempts ?? 1;
    await deadLetter(rec, deps, code, message, attempts);
    return;
  } finally {
    deps.metrics.latency(rec.topic, (performance.now() - started) / 1000);
  }
}

/**
 * The handler under the retry policy, in one span when tracing. `prior` is the outcome of an
 * attempt already made (the untraced fast path's): it counts as attempt 1, so the policy makes
 * exactly the attempts it would have made itself. Rejects with the policy's last error.
 */
function handleOnce(record: BusRecord, deps: RecordProcessorDeps, signal: AbortSignal, prior: unknown): Promise<void> {
  const attempts = (): Promise<void> =>
    withRetry((n) => (n === 1 && prior !== undefined ? Promise.reject(prior as Error) : callHandler(record, deps, signal)), deps.retry, signal);
  return tracing() ? inSpan(record, attempts) : attempts();
}

/** One call of the handler; every failure becomes a HandlerError (retriable unless the handler said otherwise). */
async function callHandler(record: BusRecord, deps: RecordProcessorDeps, signal: AbortSignal): Promise<void> {
  try {
    await deps.handler(record, signal);
  } catch (err) {
    // Handlers may throw anything; every failure is retriable here unless the
    // handler says otherwise with a ChainwatchError whose retriable flag is false.
    if (err instanceof HandlerError && !err.retriable) throw err;
    throw new HandlerError('HANDLER_FAILED', describeError(err).message, { cause: err, retriable: true });
  }
}

/** The handling of one record (all its attempts) in a span named after the topic. */
function inSpan(record: BusRecord, fn: () => Promise<void>): Promise<void> {
  const event = record.event;
  return tracer.startActiveSpan(
    `handle ${record.topic}`,
    { attributes: { 'messaging.destination.name': record.topic, 'cloudevents.event_type': event.type, 'cloudevents.event_id': event.id } },
    async (span) => {
      try {
        await fn();
        span.setStatus({ code: SpanStatusCode.OK });
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(err).code });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

async function deadLetter(rec: RawBusRecord, deps: RecordProcessorDeps, code: string, reason: string, attempts: number): Promise<void> {
  await deps.deadLetter(deadLetterTopic(rec.topic), {
    key: rec.key,
    value: rec.value,
    headers: {
      ...rec.headers,
      [DLQ_HEADERS.code]: code,
      [DLQ_HEADERS.reason]: reason.slice(0, 1000),
      [DLQ_HEADERS.originalTopic]: rec.topic,
      [DLQ_HEADERS.originalPartition]: String(rec.partition),
      [DLQ_HEADERS.originalOffset]: rec.offset,
      [DLQ_HEADERS.attempts]: String(attempts),
      [DLQ_HEADERS.group]: deps.group,
      [DLQ_HEADERS.at]: new Date().toISOString(),
    },
  });
  deps.metrics.deadLettered(rec.topic);
}

/** Key for an event: its subject keeps one subject ordered; else its id spreads load. */
export function keyOf(ev: { subject?: string; id: string }): string {
  return ev.subject ?? ev.id;
}
