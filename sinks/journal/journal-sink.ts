import { closeSync, fstatSync, fsyncSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import {
  type BusRecord,
  type Component,
  type ComponentContext,
  type Subscription,
  topicFor,
  EVENT_FAMILIES,
  faultCode,
  untilStorageRecovers,
} from '../../core/index.js';
import { openPrivateFile } from '../../core/sqlite/index.js';

/**
 * Journal sink: appends every event of the chosen topics to a JSON-lines file and fsyncs before
 * the bus commits. Useful for air-gapped export, debugging, and as the simplest durable effect
 * for end-to-end tests (SIGKILL, outage). One line = one event; at-least-once (duplicates possible
 * after a crash, never gaps).
 *
 * A storage fault (core/storage.ts: a full disk, a quota, an I/O error) never costs an event: the
 * partial line is truncated away, the sink reports not ready (/readyz names the error) and retries
 * the same line with the shared storage pause until it is written, so the bus neither commits nor
 * dead-letters it. On shutdown the paused write gives up uncommitted and the event is redelivered
 * on the next start.
 */
export const journalSinkConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** File path; relative paths are under dataDir. */
    path: z.string().min(1).default('journal.jsonl'),
    /** Event families to record; default all. */
    families: z.array(z.enum(EVENT_FAMILIES)).optional(),
    group: z.string().min(1).default('sink.journal'),
  })
  .strict();
export type JournalSinkConfig = z.output<typeof journalSinkConfigSchema>;

export function createJournalSink(config: JournalSinkConfig, ctx: ComponentContext): Component {
  return new JournalSink(config, ctx);
}

class JournalSink implements Component {
  readonly name = 'sink.journal';
  private fd: number | undefined;
  private sub: Subscription | undefined;
  private readonly path: string;
  /** Why writes fail right now (not ready while set). */
  private failing: string | undefined;

  constructor(
    private readonly config: JournalSinkConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.path = isAbsolute(config.path) ? config.path : join(ctx.dataDir, config.path);
  }

  async start(): Promise<void> {
    this.fd = openPrivateFile(this.path, 'a+');
    // A crash (or a full disk) mid-line leaves a torn last line: end it, so the redelivered
    // event gets a line of its own instead of being glued onto the fragment.
    const size = fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) writeAll(this.fd, Buffer.from('\n'));
    }
    const topics = (this.config.families ?? EVENT_FAMILIES).map((f) => topicFor(f));
    this.sub = await this.ctx.bus.subscribe({ group: this.config.group, topics, fromBeginning: true, handler: async (r, signal) => this.write(r, signal) });
  }

  private async write(r: BusRecord, signal?: AbortSignal): Promise<void> {
    const line = Buffer.from(`${JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset, event: r.event })}\n`);
    await untilStorageRecovers(
      async () => this.append(line),
      signal,
      (err) => {
        const code = faultCode(err);
        if (this.failing === undefined) this.ctx.logger.error({ code, path: this.path }, 'journal writes fail; paused, retrying until they succeed');
        this.failing = `${code}: cannot write ${this.path}; paused, retrying`;
        this.ctx.storage?.failing('journal', this.path, err);
      },
    );
    if (this.failing !== undefined) {
      this.ctx.logger.info({ path: this.path }, 'journal writes succeed again; resumed');
      this.ctx.storage?.ok('journal');
    }
    this.failing = undefined;
  }

  /** One whole line, on disk, or nothing: a failed write is truncated back before it throws. */
  private append(line: Buffer): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error('journal closed');
    const end = fstatSync(fd).size;
    try {
      writeAll(fd, line);
      // The bus commits this record's offset after we return: the line must be on disk first.
      fsyncSync(fd);
    } catch (err) {
      try {
        ftruncateSync(fd, end);
      } catch {
        // Could not cut it back: start() ends a torn last line, so the next one stands alone.
      }
      throw err;
    }
  }

  health(): { ready: boolean; detail?: string } {
    return this.failing === undefined ? { ready: true } : { ready: false, detail: this.failing };
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.stop();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  async flush(): Promise<void> {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }
}

/** writeSync may accept only part of the buffer (e.g. a nearly full disk): write the rest too. */
function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}
