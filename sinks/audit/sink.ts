import {
  AuditCheckpointEvent,
  type BusRecord,
  type Component,
  type ComponentContext,
  EVENT_FAMILIES,
  makeEvent,
  type Subscription,
  topicFor,
  faultCode,
  storageFault,
  untilStorageRecovers,
  withRetry,
} from '../../core/index.js';
import { attachWitness } from './witness/open.js';
import { auditOrigin, type CheckpointKey, checkpointKeyRef, type OpenedCheckpointKey, openCheckpointKey, signCheckpoint } from './checkpoint.js';
import { appendOperatorAction } from './operator.js';
import type { AuditConfig } from './config.js';
import { auditDir, auditStorePath, createAuditStore } from './factory.js';
import type { AuditEntry, AuditRecord, AuditStore, BusPosition, StoredCheckpoint } from './port.js';
import { AuditError } from './errors.js';
import { entryFromBusRecord } from './record.js';
import { repairEntries } from './repair.js';

/**
 * The audit sink: every event on every chainwatch family topic becomes one audit record.
 *
 *   bus (own consumer group, all family topics) -> handler enqueues and waits
 *     -> group commit: one store.append() per batch of whatever queued while the last one wrote
 *     -> handlers resolve (the bus commits their offsets) -> every N records / T seconds a
 *        signed checkpoint.
 *
 * Invariant: a handler resolves only after store.append() resolved for its record, i.e. the
 * record is durable; only then may the bus commit its offset. A crash in between redelivers the
 * event; the sink skips positions it finds among the store's newest records (see recentPositions).
 */
interface Waiter {
  entry: AuditEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** How many recent bus positions to remember for redelivery dedup (far above in-flight records). */
const DEDUP_WINDOW = 20_000;

export class AuditSink implements Component {
  readonly name = 'audit';
  #sub: Subscription | undefined;
  #queue: Waiter[] = [];
  #writing: Promise<void> | undefined;
  #key: CheckpointKey | undefined;
  #seen = new Set<string>();
  #seenOrder: string[] = [];
  /** Size of the latest checkpoint signed or being signed: the count trigger measures from it. */
  #signedUpTo = 0;
  #timer: NodeJS.Timeout | undefined;
  #checkpointing: Promise<unknown> = Promise.resolve();
  #started = false;
  #lastError: string | undefined;
  /** Aborts checkpoints paused on a full disk when the sink stops. */
  #stopping = new AbortController();

  readonly #metrics;

  constructor(
    private readonly config: AuditConfig,
    private readonly ctx: ComponentContext,
    readonly store: AuditStore,
  ) {
    const m = ctx.metrics;
    this.#metrics = {
      appended: m.counter('audit_records_appended_total', 'Audit records made durable'),
      failed: m.counter('audit_append_failures_total', 'Audit records whose append failed (not committed on the bus; redelivered)'),
      latency: m.histogram('audit_append_duration_seconds', 'Audit batch append latency', [], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]),
      treeSize: m.gauge('audit_checkpoint_tree_size', 'Tree size of the latest signed audit checkpoint'),
    };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#stopping = new AbortController();
    await this.store.open();
    try {
      const dir = auditDir(this.ctx.dataDir);
      const ref = checkpointKeyRef(this.config, dir);
      const opened = await openCheckpointKey(this.ctx.keys, ref, auditOrigin(this.config.instance), dir, {
        create: true,
        size: await this.store.size(),
        now: this.ctx.now(),
      });
      await this.#keyChecks(opened);
      const key = await attachWitness(opened, this.config.witness, this.config.instance, this.ctx.keys, { create: true, now: () => this.ctx.now() });
      this.#key = key;
      for (const p of (await this.store.recentPositions(DEDUP_WINDOW)).reverse()) this.#remember(p);
      // Records a crash left unsigned are signed now, not one count or interval later: the
      // cadence `audit verify` holds the trail to must survive kill -9.
      const cp = await signCheckpoint(this.store, key, this.ctx.now());
      if (cp) await this.#signed(cp, key);
      this.#signedUpTo = cp?.size ?? (await this.store.listCheckpoints()).at(-1)?.size ?? 0;
    } catch (err) {
      await this.#key?.close(); // token sessions: the next start() opens the key again
      await this.store.close(); // the supervisor retries start() from scratch
      throw err;
    }
    this.#sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: EVENT_FAMILIES.map(topicFor),
      fromBeginning: true,
      handler: (rec) => this.#handle(rec),
    });
    this.#timer = setInterval(
      () => void this.#checkpoint().catch((err) => this.ctx.logger.warn({ err: String(err) }, 'audit checkpoint failed')),
      this.config.checkpointIntervalMs,
    );
    this.#timer.unref();
    this.#started = true;
    this.ctx.logger.info({ origin: this.#key.origin, vkey: this.#key.vkey }, 'audit sink started');
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    clearInterval(this.#timer);
    this.#stopping.abort();
    // Subscription.stop() waits for in-flight handlers, which wait for their appends.
    await this.#sub?.stop();
    this.#sub = undefined;
    await this.flush().catch((err) => this.ctx.logger.warn({ err: String(err) }, 'audit final flush failed'));
    await this.#key?.close();
    await this.store.close();
  }

  /** Writes everything queued, then signs a checkpoint over it. */
  async flush(): Promise<void> {
    while (this.#queue.length || this.#writing) await (this.#writing ?? this.#drain());
    await this.#checkpoint();
  }

  health(): { ready: boolean; detail?: string } {
    return this.#lastError ? { ready: false, detail: this.#lastError } : { ready: this.#started };
  }

  /** Signing key (for publishing the verifier key, e.g. on /audit/key). */
  get checkpointKey(): CheckpointKey | undefined {
    return this.#key;
  }

  #handle(rec: BusRecord): Promise<void> {
    const pos = `${rec.topic}/${rec.partition}/${Number(rec.offset)}`;
    if (this.#seen.has(pos)) return Promise.resolve(); // recorded before a restart; offset not yet committed then
    // Our own checkpoints are in the store already; recording them would grow the tree after every checkpoint.
    if (rec.event.type === AuditCheckpointEvent.type) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ entry: entryFromBusRecord(rec), resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  /** Group commit: one append in flight; whatever queues meanwhile forms the next batch. */
  #drain(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    const run = async (): Promise<void> => {
      try {
        while (this.#queue.length) await this.#writeBatch(this.#queue.splice(0, this.config.maxBatch));
      } finally {
        // Cleared in the same tick the loop saw an empty queue: a handler arriving after this
        // starts a new drain, one arriving before was picked up by the loop. (A .finally()
        // on the promise would leave a gap where records queue with nobody draining.)
        this.#writing = undefined;
      }
    };
    this.#writing = run();
    return this.#writing;
  }

  async #writeBatch(batch: Waiter[]): Promise<void> {
    const started = performance.now();
    let appended: AuditRecord[];
    try {
      try {
        appended = await withRetry(() => this.store.append(batch.map((w) => w.entry)), this.#retry);
      } catch (err) {
        // One event canonical JSON cannot express (a lone surrogate from some registry's
        // metadata, absurd nesting) must neither stay out of the trail nor fail its neighbours:
        // record it with a repaired payload instead.
        if (!(err instanceof AuditError && err.code === 'AUDIT_RECORD_INVALID') || !repairEntries(batch)) throw err;
        appended = await withRetry(() => this.store.append(batch.map((w) => w.entry)), this.#retry);
      }
      this.#lastError = undefined;
      this.ctx.storage?.ok('audit');
      this.#metrics.appended.inc({}, batch.length);
      this.#metrics.latency.observe({}, (performance.now() - started) / 1000);
    } catch (err) {
      this.#metrics.failed.inc({}, batch.length);
      this.#lastError = `audit append failing (${faultCode(err)}): ${String((err as Error).message ?? err)}`;
      // A full disk: reported (readiness, storage.full); the bus pauses and redelivers these
      // records until the disk has room (never dead-letters them: core/bus/process-record.ts).
      this.#fault(err);
      for (const w of batch) w.reject(err); // not durable: no commit; the bus retries / redelivers
      return;
    }
    for (const w of batch) if (w.entry.position) this.#remember(w.entry.position);
    // Durable now: resolving lets the bus commit these offsets.
    for (const w of batch) w.resolve();
    // Signed at the exact size this batch reached, however many batches land before the signing
    // runs: consecutive checkpoints are never more than checkpointEvery + maxBatch - 1 apart,
    // which `audit verify` checks (a larger gap means deleted checkpoints).
    const reached = Math.max(...appended.map((r) => r.index)) + 1;
    if (reached - this.#signedUpTo >= this.config.checkpointEvery) {
      this.#signedUpTo = reached;
      void this.#checkpoint(reached).catch((err) => this.ctx.logger.warn({ err: String(err) }, 'audit checkpoint failed'));
    }
  }

  /**
   * Loud about a new key (lost or replaced): logged at warn and recorded in the trail itself,
   * before anything it signs. (A key inside the data directory is a module warning, preflight.ts:
   * `config check` prints it and the daemon logs it at start.)
   */
  async #keyChecks(key: OpenedCheckpointKey): Promise<void> {
    const log = this.ctx.logger;
    const size = await this.store.size();
    if (!key.replaced && !(key.created && size > 0)) return;
    const fromSize = size;
    log.warn(
      { vkey: key.vkey, previous: key.replaced?.at(-1), fromSize, generated: key.created },
      key.created
        ? 'audit checkpoint key was missing and a new one was generated: checkpoints from here on verify only with the new verifier key (kept in the key history)'
        : 'audit checkpoint key changed: checkpoints from here on verify only with the new verifier key (kept in the key history)',
    );
    await appendOperatorAction(this.store, {
      actor: 'chainwatch',
      action: 'key-change',
      text: key.created ? 'checkpoint key missing; generated a new one' : 'checkpoint key changed',
      subject: key.origin,
      details: { vkey: key.vkey, previous: key.replaced ?? [], fromSize, generated: key.created },
      time: this.ctx.now(),
    });
  }

  /** Serialised so two triggers (count and timer) never race on the same size. */
  #checkpoint(atSize?: number): Promise<unknown> {
    const key = this.#key;
    if (!key) return Promise.resolve();
    this.#checkpointing = this.#checkpointing
      .catch(() => undefined)
      .then(async () => {
        // A full disk is waited out at the same size: skipping it would leave a gap between
        // checkpoints wider than the cadence `audit verify` holds the trail to.
        const cp = await untilStorageRecovers(
          () => signCheckpoint(this.store, key, this.ctx.now(), atSize),
          this.#stopping.signal,
          (err) => this.#fault(err),
        );
        if (cp) await this.#signed(cp, key);
      });
    return this.#checkpointing;
  }

  /**
   * Out of the store: a SIEM, a ticket or a second chainwatch keeps the copy an auditor checks the
   * trail against. Best effort: the checkpoint is already stored, and the next one covers it.
   */
  async #signed(cp: StoredCheckpoint, key: CheckpointKey): Promise<void> {
    this.#signedUpTo = Math.max(this.#signedUpTo, cp.size);
    this.#metrics.treeSize.set({}, cp.size);
    // Published out of the store: a log pipeline keeps a copy an auditor can check against.
    this.ctx.logger.info({ size: cp.size, rootHash: cp.rootHash, checkpoint: cp.note }, 'audit checkpoint signed');
    const ev = makeEvent({
      type: AuditCheckpointEvent.type,
      source: 'urn:chainwatch:sinks:audit',
      subject: key.origin,
      id: `${key.origin}/${cp.size}`,
      data: { origin: key.origin, size: cp.size, rootHash: cp.rootHash, checkpoint: cp.note, createdAt: cp.createdAt },
    });
    try {
      await this.ctx.bus.publish(ev);
    } catch (err) {
      this.ctx.logger.warn({ err: String(err), size: cp.size }, 'audit checkpoint event not published');
    }
  }

  /** Append retries report a full disk at the first failure, not once the retries ran out. */
  get #retry(): AuditConfig['retry'] {
    return { ...this.config.retry, onRetry: (err) => this.#fault(err) };
  }

  #fault(err: unknown): void {
    if (storageFault(err) !== undefined) this.ctx.storage?.failing('audit', this.#path(), err);
  }

  /** The store's file, as storage reports name it. */
  #path(): string {
    const b = this.config.backend;
    return b.kind === 'sqlite' ? (b.path ?? auditStorePath(this.ctx.dataDir)) : `${b.kind} backend`;
  }

  #remember(p: BusPosition): void {
    const k = `${p.topic}/${p.partition}/${p.offset}`;
    if (this.#seen.has(k)) return;
    this.#seen.add(k);
    this.#seenOrder.push(k);
    if (this.#seenOrder.length > DEDUP_WINDOW * 2) for (const old of this.#seenOrder.splice(0, DEDUP_WINDOW)) this.#seen.delete(old);
  }
}

/** The daemon's entry point: `audit:` config section (raw or parsed) and the component context. */
export function createAuditSink(config: AuditConfig, ctx: ComponentContext, store?: AuditStore): AuditSink {
  return new AuditSink(config, ctx, store ?? createAuditStore(config.backend, { dataDir: ctx.dataDir, logger: ctx.logger }));
}
