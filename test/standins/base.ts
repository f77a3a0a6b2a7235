import { RecordingServer, type RecordedRequest, type Reply } from '../../core/testing/index.js';

/**
 * Shared plumbing of the stand-in servers: each service file adds its routes, its contract checks
 * and its state behind core/testing's RecordingServer (127.0.0.1, a random port, a log of every
 * request, scripted faults such as "the next N calls answer 429 with Retry-After: 7").
 */
export { INVALID_JSON, type RecordedRequest, type Reply } from '../../core/testing/index.js';

/**
 * The lifecycle every service stand-in shares: one StandinServer routed to the subclass's
 * `handle`, start/stop, and reset (subclasses extend it to drop their own state too).
 */
export abstract class Standin {
  readonly server: RecordingServer;

  constructor() {
    // Bound lazily: subclass fields are initialised only after this constructor returns.
    this.server = new RecordingServer((req) => this.handle(req));
  }
  async start(): Promise<this> {
    await this.server.start();
    return this;
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
  /** Forgets the request log; subclasses also clear their state. */
  reset(): void {
    this.server.requests.length = 0;
  }

  protected abstract handle(req: RecordedRequest): Reply | Promise<Reply>;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
