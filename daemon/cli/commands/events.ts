import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import {
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

export const eventsPublishCommand: CommandSpec = {
  name: 'events publish',
  summary: 'Publish CloudEvents JSON lines to a topic; invalid lines are reported by number and skipped',
  args: [
    { name: 'TOPIC', description: 'a topic name (chainwatch.system) or an event family (system)' },
    { name: 'FILE', description: 'one CloudEvents 1.0 JSON object per line (blank lines ignored); stdin when - or absent', optional: true },
  ],
  options: { 'batch-size': { type: 'string', placeholder: 'N', description: 'events per publish (default 500)' } },
  json: true,
  config: true,
  description: 'Exit 0 when every line was published, 1 when some were skipped (the valid ones are still published).',
  async run(inv) {
    const io = inv.io;
    const [topicArg, file] = inv.args as [string, string | undefined];
    const topic = resolveTopic(topicArg);
    const input = !file || file === '-' ? io.stdin : createReadStream(file);
    const batchSize = numberOption(inv.options, 'batch-size', { integer: true }) ?? 500;
    const bus = await inv.openBus();
    let lineNo = 0;
    let published = 0;
    let rejected = 0;
    let batch: CloudEvent[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await bus.publish(batch, { topic });
      published += batch.length;
      batch = [];
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
          batch.push(validateEvent(parsed));
        } catch (err) {
          rejected++;
          const { code, message } = describeError(err);
          io.err(`line ${lineNo}: ${code}: ${message}`);
          continue;
        }
        if (batch.length >= batchSize) await flush();
      }
      await flush();
    } finally {
      await bus.stop();
    }
    if (inv.json) io.out(JSON.stringify({ topic, published, skipped: rejected }));
    io.err(`published ${published} event(s) to ${topic}; skipped ${rejected} invalid line(s)`);
    return rejected > 0 ? EXIT.failed : EXIT.ok;
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
