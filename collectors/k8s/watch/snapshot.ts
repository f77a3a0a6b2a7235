import type { StateStore, Workload, WorkloadKind } from '../../../core/index.js';

/**
 * The durable snapshot of one watch stream (one cluster, one kind, all namespaces or one), in the
 * daemon's StateStore. Keys, under "k8s-watch:<cluster>:<kind>:<scope>:" (scope = namespace or "*"):
 *   cursor         the resourceVersion up to which every change is reflected in the records below
 *   obj:<ns>/<name> the last published state of one object (the workload event's data) and its change key
 *
 * Invariant (the cursor only moves after the effects are durable):
 *   1. events for a batch of changes are published (the bus acknowledges them durably);
 *   2. the records they describe are written;
 *   3. only then the cursor moves to the last resourceVersion of the batch.
 * A crash between 1 and 3 replays the batch from the old cursor against records that may already
 * hold its outcome: the replay then publishes nothing new (the record already equals the event),
 * or the same events again with the same ids (deterministic ids: downstream sees one).
 * A relist first DELETES the cursor: until the relist's records and cursor are written, a restart
 * relists again instead of replaying a watch against records from a later list.
 */
export interface ObjectRecord {
  workload: Workload;
  changeKey: string;
}

export class StreamSnapshot {
  private readonly prefix: string;

  constructor(
    private readonly store: StateStore,
    cluster: string,
    kind: WorkloadKind,
    namespace: string | undefined,
  ) {
    this.prefix = `k8s-watch:${cluster}:${kind}:${namespace ?? '*'}:`;
  }

  cursor(): Promise<string | undefined> {
    return this.store.get<string>(`${this.prefix}cursor`);
  }

  putCursor(rv: string): Promise<void> {
    return this.store.put(`${this.prefix}cursor`, rv);
  }

  dropCursor(): Promise<void> {
    return this.store.delete(`${this.prefix}cursor`);
  }

  /** Every record, keyed "<namespace>/<name>". */
  async load(): Promise<Map<string, ObjectRecord>> {
    const out = new Map<string, ObjectRecord>();
    const p = `${this.prefix}obj:`;
    for (const k of await this.store.list(p)) {
      const r = await this.store.get<ObjectRecord>(k);
      if (r) out.set(k.slice(p.length), r);
    }
    return out;
  }

  put(key: string, r: ObjectRecord): Promise<void> {
    return this.store.put(`${this.prefix}obj:${key}`, r);
  }

  delete(key: string): Promise<void> {
    return this.store.delete(`${this.prefix}obj:${key}`);
  }
}
