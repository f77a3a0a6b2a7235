import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  BusError,
  CanonicalJsonError,
  type CloudEvent,
  type CommandSpec,
  describeError,
  EVENT_FAMILIES,
  type EventFamily,
  EventError,
  EXIT,
  numberOption,
  topicFor,
  validateEvent,
} from '../../../core/index.js';

/** Accepts a full topic name ("chainwatch.rekor", "chainwatch.rekor.dlq") or a family ("rekor"). */
export function resolveTopic(name: string): string {
  return (EVENT_FAMILIES as readonly string[]).includes(name) ? topicFor(name as EventFamily) : name;
}

/** A line the bus will not take: the event itself is at fault, so the other lines still go. */
function refusedByEvent(err: unknown): boolean {
  return err instanceof EventError || err instanceof CanonicalJsonError || (err instanceof BusError && err.code === 'BUS_INVALID_TOPIC');
}

export const eventsPublishCommand: CommandSpec = {
  name: 'events publish',
  summary: 'Publish CloudEvents JSON lines to a topic; refused lines are reported by number and skipped',
  args: [
    { name: 'TOPIC', description: 'a topic name (chainwatch.system) or an event family (system)' },
    { name: 'FILE', description: 'one CloudEvents 1.0 JSON object per line (blank lines ignored); stdin when - or absent', optional: true },
  ],
  options: { 'batch-size': { type: 'string', placeholder: 'N', description: 'events per publish (default 500)' } },
  json: true,
  config: true,
  description: `Every valid line is published; a refused line (not JSON, invalid, over the size limit,
nested too deep) is reported as "line N: CODE: reason" and skipped. Exit 0 when every line was
published, 1 when some were refused (the others are still published), 3 when publishing aborted
(a full disk, the bus unavailable): lines before the named one are published, it and the rest
are not. The published and refused counts are printed in every case (--json: {"topic",
"published","refused","aborted","abortedAtLine"}).`,
  async run(inv) {
    const io = inv.io;
    const [topicArg, file] = inv.args as [string, string | undefined];
    const topic = resolveTopic(topicArg);
    const input = !file || file === '-' ? io.stdin : createReadStream(file);
    const batchSize = numberOption(inv.options, 'batch-size', { integer: true }) ?? 500;
    const bus = await inv.openBus();
    let lineNo = 0;
    let published = 0;
    let refused = 0;
    let aborted: { line: number; code: string; message: string } | undefined;
    let batch: { line: number; event: CloudEvent }[] = [];
    const refuse = (line: number, err: unknown): void => {
      refused++;
      const { code, message } = describeError(err);
      io.err(`line ${line}: ${code}: ${message}`);
    };
    /** Publishes the batch; false when publishing must stop (aborted is then set). */
    const flush = async (): Promise<boolean> => {
      const pending = batch;
      batch = [];
      if (pending.length === 0) return true;
      try {
        await bus.publish(
          pending.map((p) => p.event),
          { topic },
        );
        published += pending.length;
        return true;
      } catch (err) {
        if (!refusedByEvent(err)) return abort(pending[0]!.line, err);
      }
      // One event spoiled the batch (a publish is all or nothing): find it, publish the rest.
      for (const p of pending) {
        try {
          await bus.publish(p.event, { topic });
          published++;
        } catch (err) {
          if (!refusedByEvent(err)) return abort(p.line, err);
          refuse(p.line, err);
        }
      }
      return true;
    };
    const abort = (line: number, err: unknown): false => {
      aborted = { line, ...describeError(err) };
      return false;
    };
    try {
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        if (line.trim() === '') continue;
        try {
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch (err) {
            throw new EventError('EVENT_MALFORMED_JSON', 'not valid JSON', { cause: err });
          }
          batch.push({ line: lineNo, event: validateEvent(parsed) });
        } catch (err) {
          refuse(lineNo, err);
          continue;
        }
        if (batch.length >= batchSize && !(await flush())) break;
      }
      if (!aborted) await flush();
    } finally {
      await bus.stop();
    }
    if (inv.json) io.out(JSON.stringify({ topic, published, refused, aborted: aborted !== undefined, ...(aborted ? { abortedAtLine: aborted.line } : {}) }));
    if (aborted) {
      io.err(`aborted at line ${aborted.line}: ${aborted.code}: ${aborted.message}; that line and the rest of the input were not published`);
      io.err(`published ${published} event(s) to ${topic}; refused ${refused} line(s); aborted`);
      return EXIT.aborted;
    }
    io.err(`published ${published} event(s) to ${topic}; refused ${refused} line(s)`);
    return refused > 0 ? EXIT.failed : EXIT.ok;
  },
};

export const eventsTailCommand: CommandSpec = {
  name: 'events tail',
  summary: 'Print events of a topic as JSON lines as they arrive',
  args: [{ name: 'TOPIC', description: 'a topic name (chainwatch.system, chainwatch.rekor.dlq) or an event family (system)' }],
  options: {
    'from-beginning': { type: 'boolean', description: 'start at the oldest retained event instead of new ones' },
    max: { type: 'string', placeholder: 'N', description: 'stop after N events' },
    timeout: { type: 'string', placeholder: 'SECONDS', description: 'stop after this long' },
  },
  config: true,
  description: `Reads without joining any consumer group of the daemon (nothing is committed).
Each line: {"topic","partition","offset","key","headers","event"}. Dead-letter topics (TOPIC.dlq)
show the reason in headers x-chainwatch-dlq-*.`,
  async run(inv) {
    const io = inv.io;
    const values = inv.options;
    const topic = resolveTopic(inv.args[0]!);
    const max = numberOption(values, 'max', { integer: true }) ?? Infinity;
    const timeoutSeconds = numberOption(values, 'timeout');
    const timeoutMs = timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000;
    const bus = await inv.openBus();
    let seen = 0;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const sub = await bus.subscribe({
      group: `cli-tail-${process.pid}-${Date.now()}`,
      topics: [topic],
      raw: true,
      ephemeral: true,
      fromBeginning: values['from-beginning'] === true,
      handler: async (r) => {
        if (seen >= max) return;
        seen++;
        io.out(JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset, key: r.key, headers: r.headers, event: r.event }));
        if (seen >= max) finish();
      },
    });
    const stopOn = (): void => finish();
    process.once('SIGINT', stopOn);
    process.once('SIGTERM', stopOn);
    const timer = timeoutMs === undefined ? undefined : setTimeout(finish, timeoutMs);
    await finished;
    if (timer) clearTimeout(timer);
    await sub.stop();
    await bus.stop();
    return EXIT.ok;
  },
};
