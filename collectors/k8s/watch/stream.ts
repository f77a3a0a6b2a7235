import type { CloudEvent, Logger, Workload, WorkloadKind } from '../../../core/index.js';
import { type Change, type ChangeContext, eventOf, upsert } from './changes.js';
import { classify, K8sWatchError } from './errors.js';
import type { KubeLister, WatchEventType, WatchHandle } from './kube.js';
import { objectId, resourceVersionOf } from './objects.js';
import type { TagResolver } from './resolver.js';
import type { ObjectRecord, StreamSnapshot } from './snapshot.js';

/**
 * One list+watch stream: one cluster, one kind, all namespaces or one. The loop:
 *
 *   no cursor ──> relist (pages) ──> diff against the snapshot ──> commit ──┐
 *        ^                                                                   v
 *        └── 410 Gone (compacted) <── watch from cursor (bookmarks on) ──> batches ──> commit
 *
 * "commit" = publish the workload events, write the records, move the cursor (in that order; the
 * invariant is spelled out in snapshot.ts). Diffing every change against the durable snapshot is
 * what makes a daemon restart, an API-server restart or a relist publish only real differences:
 * an object already known is not started again, one gone while nobody watched is stopped.
 * Other failures (API server down, 5xx) retry with backoff from the same cursor; a failure to
 * publish or to write state fails the component (the supervisor rebuilds it from durable state).
 */
export interface StreamDeps {
  cluster: string;
  kind: WorkloadKind;
  namespace: string | undefined;
  api: KubeLister;
  snapshot: StreamSnapshot;
  resolver: TagResolver;
  publish(events: CloudEvent<Workload>[]): Promise<void>;
  source: string;
  pageSize: number;
  watchTimeoutSeconds: number;
  logger: Logger;
  counted(type: 'started' | 'changed' | 'stopped' | 'relist' | 'malformed', n?: number): void;
  now(): Date;
  fail(err: unknown): void;
}

interface Queued {
  type: WatchEventType;
  object: unknown;
}

const MAX_BATCH = 500;
const MAX_BACKOFF_MS = 30_000;

export class WatchStream {
  private records = new Map<string, ObjectRecord>();
  private cursor: string | undefined;
  /** The cursor in memory is ahead of the stored one only by events that changed nothing. */
  private storedCursor: string | undefined;
  private queue: Queued[] = [];
  private draining: Promise<void> | undefined;
  private drainError: unknown;
  private handle: WatchHandle | undefined;
  /** Ends a list in flight when the stream stops (a list against an unresponsive server must not hold the shutdown); aborted = stopped. */
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set once the first list or watch succeeded (readiness). */
  synced = false;
  lastError: string | undefined;

  private readonly changeCtx: ChangeContext;

  constructor(private readonly d: StreamDeps) {
    this.changeCtx = { cluster: d.cluster, kind: d.kind, stream: this.name, logger: d.logger, counted: (t) => d.counted(t), now: () => d.now() };
  }

  get name(): string {
    return `${this.d.cluster}/${this.d.kind}/${this.d.namespace ?? '*'}`;
  }

  async start(): Promise<void> {
    this.records = await this.d.snapshot.load();
    this.cursor = this.storedCursor = await this.d.snapshot.cursor();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.handle?.abort();
    this.wake?.();
    await this.loop;
    await this.draining?.catch(() => undefined);
    if (this.drainError === undefined && this.cursor !== undefined && this.cursor !== this.storedCursor) {
      await this.d.snapshot.putCursor(this.cursor).catch(() => undefined);
    }
  }

  /** Known objects (for tests and status). */
  known(): ObjectRecord[] {
    return [...this.records.values()];
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (!this.stopping.signal.aborted) {
      try {
        if (this.cursor === undefined) await this.relist();
        if (this.stopping.signal.aborted) break;
        const err = await this.watchOnce();
        if (err !== undefined) throw err;
        backoff = 0;
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        if (!(err instanceof K8sWatchError)) {
          // Publishing or writing state failed: nothing moved past what is durable; start over from it.
          this.d.fail(err);
          return;
        }
        this.lastError = err.code;
        if (err.code === 'K8S_GONE') {
          this.d.logger.info({ stream: this.name }, 'k8s watch: resourceVersion compacted (410), relisting');
          this.cursor = undefined;
          continue;
        }
        backoff = Math.min(Math.max(1000, backoff * 2), MAX_BACKOFF_MS);
        this.d.logger.warn({ stream: this.name, code: err.code, retryInMs: backoff }, 'k8s watch: stream failed, retrying');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  }

  /** Lists every object (paged, one consistent resourceVersion) and publishes the difference to the snapshot. */
  private async relist(): Promise<void> {
    this.d.counted('relist');
    // Until this relist is committed, a restart must relist again (see snapshot.ts).
    if (this.storedCursor !== undefined) await this.d.snapshot.dropCursor();
    this.storedCursor = undefined;
    const items: unknown[] = [];
    let rv: string | undefined;
    let cont: string | undefined;
    do {
      const page = await this.d.api.list(this.d.kind, this.d.namespace, this.d.pageSize, cont, this.stopping.signal);
      items.push(...page.items);
      rv ??= page.resourceVersion;
      cont = page.continue;
    } while (cont !== undefined && !this.stopping.signal.aborted);
    if (this.stopping.signal.aborted) return;
    const seen = new Set<string>();
    const changes: Change[] = [];
    for (const o of items) {
      const id = objectId(o);
      if (!id) {
        this.d.counted('malformed');
        continue;
      }
      seen.add(`${id.namespace}/${id.name}`);
      changes.push(...upsert(this.records, o, this.changeCtx));
    }
    for (const [key, prev] of [...this.records]) {
      if (seen.has(key)) continue;
      this.records.delete(key);
      changes.push({ type: 'stopped', prev });
    }
    await this.commit(changes, rv, true);
    this.synced = true;
  }

  /** Watches from the cursor until the stream ends; resolves with the failure (undefined: a normal end). */
  private watchOnce(): Promise<K8sWatchError | Error | undefined> {
    return new Promise((resolve) => {
      const settle = (err: K8sWatchError | undefined): void => {
        const drained = this.draining ?? Promise.resolve();
        void drained.then(() => resolve(this.takeDrainError() ?? err));
      };
      this.d.api
        .watch(
          this.d.kind,
          this.d.namespace,
          this.cursor!,
          this.d.watchTimeoutSeconds,
          (type, object) => {
            this.queue.push({ type, object });
            this.kick();
          },
          settle,
        )
        .then(
          (h) => {
            this.handle = h;
            this.synced = true;
            this.lastError = undefined;
            if (this.stopping.signal.aborted) h.abort();
          },
          (err: unknown) => resolve(classify(err, `${this.name}: watch`)),
        );
    });
  }

  private takeDrainError(): Error | undefined {
    const e = this.drainError;
    this.drainError = undefined;
    return e === undefined ? undefined : e instanceof Error ? e : new Error('k8s watch: batch failed', { cause: e });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && this.drainError === undefined) this.kick();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.drainError === undefined) await this.applyWatchBatch(this.queue.splice(0, MAX_BATCH));
    } catch (err) {
      this.drainError = err;
      this.queue = [];
      this.handle?.abort();
    }
  }

  private async applyWatchBatch(batch: Queued[]): Promise<void> {
    const changes: Change[] = [];
    let rv: string | undefined;
    let bookmark = false;
    for (const ev of batch) {
      if (ev.type === 'BOOKMARK') {
        rv = resourceVersionOf(ev.object) ?? rv;
        bookmark = true;
        continue;
      }
      const id = objectId(ev.object);
      if (!id) {
        this.d.counted('malformed');
        continue;
      }
      rv = id.resourceVersion;
      const key = `${id.namespace}/${id.name}`;
      if (ev.type === 'DELETED') {
        const prev = this.records.get(key);
        if (prev && prev.workload.uid === id.uid) {
          this.records.delete(key);
          changes.push({ type: 'stopped', prev });
        }
      } else {
        changes.push(...upsert(this.records, ev.object, this.changeCtx));
      }
    }
    if (rv !== undefined) await this.commit(changes, rv, bookmark);
  }

  /** Publishes, writes the touched records, then moves the cursor (the invariant in snapshot.ts). */
  private async commit(changes: Change[], rv: string, forceCursor: boolean): Promise<void> {
    const events: CloudEvent<Workload>[] = [];
    const touched = new Set<string>();
    for (const c of changes) {
      if (c.type !== 'stopped') await this.resolve(c);
      events.push(eventOf(c, this.d.source, this.d.now()));
      const w = c.type === 'stopped' ? c.prev.workload : c.next.workload;
      touched.add(`${w.namespace}/${w.name}`);
    }
    if (events.length > 0) await this.d.publish(events);
    for (const key of touched) {
      const r = this.records.get(key);
      await (r ? this.d.snapshot.put(key, r) : this.d.snapshot.delete(key));
    }
    this.cursor = rv;
    if (touched.size > 0 || forceCursor) {
      await this.d.snapshot.putCursor(rv);
      this.storedCursor = rv;
    }
    for (const c of changes) this.d.counted(c.type);
  }

  /** Fills digests for tags: the previous state's when the reference did not change, else the registry's. */
  private async resolve(c: Extract<Change, { type: 'started' | 'changed' }>): Promise<void> {
    const prev = c.type === 'changed' ? c.prev.workload.images : [];
    const carried = c.next.workload.images.map((i) => {
      if (i.digest !== undefined) return i;
      const p = prev.find((x) => x.container === i.container && x.reference === i.reference && x.digest !== undefined);
      return p ? { ...i, digest: p.digest, resolvedFromTag: true } : i;
    });
    c.next.workload = { ...c.next.workload, images: await this.d.resolver.resolve(carried) };
  }
}
