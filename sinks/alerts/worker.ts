import {
  type AlertSink,
  backoffDelay,
  describeError,
  Doorbell,
  HttpError,
  type Logger,
  type Notification,
  RetryError,
  sleep,
  STORAGE_PAUSE,
  storageFault,
  untilStorageRecovers,
  withRetry,
} from '../../core/index.js';
import type { DeliveryConfig } from './config.js';
import type { OutboxRow, Statements } from './store.js';

/**
 * One worker per sink drains that sink's outbox in order, one notification at a time (order
 * matters: a ticket's `resolve` must not overtake its `trigger`). Retries go through
 * core/retry.ts; attempts are persisted BEFORE each call so a crash mid-delivery still counts,
 * and the budget (maxAttempts, maxAge) spans restarts. A row becomes `done` only after the sink
 * resolved; a crash between the two redelivers the same notification id (receivers dedup on it).
 */
export interface WorkerHooks {
  delivered(sink: string): void;
  failed(sink: string, code: string): void;
  retried(sink: string): void;
  deadLettered(sink: string): void;
  /** A row left the sink's outbox (delivered or dead-lettered). */
  changed(sink: string): void;
  /** Background failure (the database, not a sink): the supervisor restarts the component. */
  crashed(err: unknown): void;
  /**
   * Durably records the outcome for the audit trail (a bus event). Awaited BEFORE the row leaves
   * the outbox, so a crash in between repeats the record rather than losing it.
   */
  record(
    n: Notification,
    outcome: { outcome: 'delivered' | 'dead_lettered'; attempts: number; externalRef?: string; code?: string; reason?: string },
  ): Promise<void>;
  /** The outbox database met a storage fault (err), or wrote again (undefined). */
  storage(err: unknown): void;
}

export class DeliveryWorker {
  private readonly abort = new AbortController();
  private readonly doorbell = new Doorbell();
  private loop: Promise<void> | undefined;
  private busy = false;
  /** Consecutive pauses for a storage fault of our own database (backoff). */
  private pauses = 0;

  constructor(
    private readonly sink: AlertSink,
    private readonly st: Statements,
    private readonly cfg: DeliveryConfig,
    private readonly hooks: WorkerHooks,
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly deadLetter: (row: OutboxRow, code: string, reason: string, attempts: number) => void,
  ) {}

  start(): void {
    this.loop ??= this.run().catch((err: unknown) => {
      this.logger.error({ sink: this.sink.name, code: describeError(err).code }, 'delivery worker crashed');
      this.hooks.crashed(err);
    });
  }

  /** Stops after the in-flight attempt is aborted; the row stays pending for the next start. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('pipeline stopping'));
    this.wake();
    await this.loop?.catch(() => undefined);
  }

  wake(): void {
    this.doorbell.ring();
  }

  /** True while a row is being delivered (tests and drain()). */
  get active(): boolean {
    return this.busy;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const row = this.st.outboxNext.get(this.sink.name);
      if (!row) {
        await this.idle();
        continue;
      }
      this.busy = true;
      try {
        await this.deliverRow(row, signal);
        if (this.pauses > 0) this.hooks.storage(undefined);
        this.pauses = 0;
      } catch (err) {
        // Our own database on a full disk is no fault of the sink: the row stays pending (its
        // failed update rolled back) and is tried again after a pause, never dead-lettered.
        if (storageFault(err) === undefined) throw err;
        this.hooks.storage(err);
        await sleep(backoffDelay(STORAGE_PAUSE, ++this.pauses), signal).catch(() => undefined);
      } finally {
        this.busy = false;
      }
    }
  }

  private idle(): Promise<void> {
    return this.abort.signal.aborted ? Promise.resolve() : this.doorbell.wait(this.cfg.pollInterval);
  }

  private async deliverRow(row: OutboxRow, signal: AbortSignal): Promise<void> {
    const n = JSON.parse(row.payload) as Notification;
    const ref = this.st.refGet.get(this.sink.name, row.route, row.dedup_key);
    if (ref) n.externalRef = ref.external_ref;
    let attempts = row.attempts;
    const remainingAttempts = this.cfg.maxAttempts - row.attempts;
    const remainingAge = this.cfg.maxAge - (this.now() - row.created_at);
    if (remainingAttempts <= 0 || remainingAge <= 0) {
      await this.fail(n, row, 'RETRY_EXHAUSTED', 'attempts or age exhausted before this start', attempts);
      return;
    }
    let result: Awaited<ReturnType<AlertSink['deliver']>>;
    try {
      result = await withRetry(
        async () => {
          this.st.outboxAttempt.run(row.seq);
          attempts++;
          return this.attempt(n, signal);
        },
        {
          maxAttempts: remainingAttempts,
          deadlineMs: remainingAge,
          baseDelayMs: this.cfg.baseDelay,
          maxDelayMs: this.cfg.maxDelay,
          onRetry: (err) => {
            this.hooks.retried(this.sink.name);
            this.hooks.failed(this.sink.name, describeError(err).code);
            this.st.outboxError.run(describeError(err).code, row.seq);
          },
        },
        signal,
      );
    } catch (err) {
      if (signal.aborted) return; // stopping: the row stays pending, the next start resumes it
      if (storageFault(err) !== undefined) throw err; // outboxAttempt/outboxError on a full disk (see run)
      const root = err instanceof RetryError && err.cause !== undefined ? err.cause : err;
      const { code, message } = describeError(root);
      const reason = err instanceof RetryError ? `${err.code} after ${attempts} attempt(s): ${message}` : message;
      this.hooks.failed(this.sink.name, code);
      await this.fail(n, row, code, reason, attempts);
      return;
    }
    // The sink accepted it. A failure from here on (recording the outcome, the database) is not
    // the sink's: it must not dead-letter a delivered notification. It propagates, the worker
    // crashes, and the row (still pending) is redelivered with the same id after the restart.
    await this.hooks.record(n, { outcome: 'delivered', attempts, ...(result.externalRef ? { externalRef: result.externalRef } : {}) });
    // The external ref is saved before the row is done: a crash in between redelivers the row
    // with the ref (an update of the same ticket), instead of losing the ref for good. A full disk
    // here is waited out rather than thrown: the sink has the notification already.
    await untilStorageRecovers(
      async () => {
        if (result.externalRef) this.st.refPut.run(this.sink.name, row.route, row.dedup_key, result.externalRef, this.now());
        this.st.outboxDone.run(this.now(), row.seq);
        this.hooks.storage(undefined);
      },
      signal,
      (err) => this.hooks.storage(err),
    );
    this.hooks.delivered(this.sink.name);
    this.hooks.changed(this.sink.name);
  }

  /** One call with its own timeout, so a hung peer cannot stall the sink's whole outbox. */
  private async attempt(n: Notification, stop: AbortSignal) {
    const timeout = AbortSignal.timeout(this.cfg.timeout);
    try {
      return await this.sink.deliver(n, AbortSignal.any([stop, timeout]));
    } catch (err) {
      if (timeout.aborted && !stop.aborted) {
        throw new HttpError('HTTP_TIMEOUT', `sink ${this.sink.name} did not answer within ${this.cfg.timeout}ms`, { cause: err });
      }
      throw err;
    }
  }

  private async fail(n: Notification, row: OutboxRow, code: string, reason: string, attempts: number): Promise<void> {
    await this.hooks.record(n, { outcome: 'dead_lettered', attempts, code, reason });
    this.logger.warn({ sink: this.sink.name, notificationId: row.id, route: row.route, code, attempts }, 'notification dead-lettered');
    this.deadLetter(row, code, reason, attempts);
    this.hooks.deadLettered(this.sink.name);
    this.hooks.changed(this.sink.name);
  }
}
