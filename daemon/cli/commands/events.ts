import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type CloudEvent, describeError, EventError, validateEvent } from '../../../core/index.js';
import { type Command, EXIT, UsageError } from '../command.js';
import { busOptions, openConfiguredBus, resolveTopic } from './open-bus.js';

export const eventsPublishCommand: Command = {
  name: 'events publish',
  summary: 'Publish CloudEvents JSON lines to a topic; invalid lines are reported by number and skipped',
  usage: `chainwatch events publish TOPIC [FILE|-] [--config FILE] [--data-dir DIR]

  TOPIC is a topic name (chainwatch.system) or an event family (system).
  Input: one CloudEvents 1.0 JSON object per line (blank lines ignored); stdin when FILE is - or absent.
  Exit 0 when every line was published, 1 when some were skipped (the valid ones are still published).`,
  options: { ...busOptions, 'batch-size': { type: 'string' } },
  async run({ values, positionals }, io) {
    const [topicArg, file] = positionals;
    if (!topicArg || positionals.length > 2) throw new UsageError('expected TOPIC [FILE|-]');
    const topic = resolveTopic(topicArg);
    const input = !file || file === '-' ? io.stdin : createReadStream(file);
    const batchSize = numberOption(values, 'batch-size', true) ?? 500;
    const bus = await openConfiguredBus(values, io.env);
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
          io.stderr.write(`line ${lineNo}: ${code}: ${message}\n`);
          continue;
        }
        if (batch.length >= batchSize) await flush();
      }
      await flush();
    } finally {
      await bus.stop();
    }
    io.stderr.write(`published ${published} event(s) to ${topic}; skipped ${rejected} invalid line(s)\n`);
    return rejected > 0 ? EXIT.failure : EXIT.ok;
  },
};

/** A positive number option (an integer when `integer`); anything else is a usage error, not NaN. */
function numberOption(values: Record<string, unknown>, name: string, integer: boolean): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export const eventsTailCommand: Command = {
  name: 'events tail',
  summary: 'Print events of a topic as JSON lines as they arrive',
  usage: `chainwatch events tail TOPIC [--from-beginning] [--max N] [--timeout SECONDS] [--config FILE] [--data-dir DIR]

  Reads without joining any consumer group of the daemon (nothing is committed).
  Each line: {"topic","partition","offset","key","headers","event"}. Dead-letter topics (TOPIC.dlq)
  show the reason in headers x-chainwatch-dlq-*.`,
  options: { ...busOptions, 'from-beginning': { type: 'boolean' }, max: { type: 'string' }, timeout: { type: 'string' } },
  async run({ values, positionals }, io) {
    const [topicArg] = positionals;
    if (!topicArg || positionals.length > 1) throw new UsageError('expected TOPIC');
    const topic = resolveTopic(topicArg);
    const max = numberOption(values, 'max', true) ?? Infinity;
    const timeoutSeconds = numberOption(values, 'timeout', false);
    const timeoutMs = timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000;
    const bus = await openConfiguredBus(values, io.env);
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
        io.stdout.write(`${JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset, key: r.key, headers: r.headers, event: r.event })}\n`);
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
