/**
 * Where durable stores report the health of their writes (issue 8 item 7). A store that cannot
 * write because of the storage itself (a full disk, a quota, an I/O error) says so with
 * `failing()` and keeps its data consistent (its transaction rolled back, its partial line cut);
 * the caller pauses and retries. The daemon's monitor turns reports into what an operator sees:
 * /readyz not ready with the reason, a log line and a metric at once, and a `storage.full`
 * infrastructure finding once the bus accepts it (docs/architecture.md, "A full disk").
 *
 * `ok()` is called after every successful write, so it must be cheap when nothing failed.
 */
export interface StorageMonitor {
  /** A write to `store` (bus, state, alerts, audit, journal) at `path` failed because of the storage. */
  failing(store: string, path: string, err: unknown): void;
  /** A write to `store` succeeded: whatever `failing()` reported for it is over. */
  ok(store: string): void;
}

export const noopStorageMonitor: StorageMonitor = { failing: () => undefined, ok: () => undefined };
