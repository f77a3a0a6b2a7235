import { join } from 'node:path';
import type { Bus, ClosableStateStore, StorageMonitor } from '../../core/index.js';
import { SqliteStateStore } from './sqlite-state-store.js';

/** The standalone state file under the data directory (and what a bus with its own state imports). */
export const STATE_FILE = 'state.db';

/**
 * The composition root's StateStore for `bus`. Invariant it serves: a cursor is never durable
 * ahead of the records it covers, across power loss too.
 * - A bus that keeps state itself (embedded: the same SQLite database and WAL as its records)
 *   provides it; an existing `<dataDir>/state.db` is imported into it on first start.
 * - Otherwise (Kafka) `<dataDir>/state.db`: records are acknowledged by Kafka with acks=all
 *   before the cursor is written, so the records are durable first (see SqliteStateStore).
 */
export function stateStoreFor(bus: Bus, dataDir: string, storage?: StorageMonitor): ClosableStateStore {
  const file = join(dataDir, STATE_FILE);
  return bus.stateStore?.({ importFrom: file }) ?? new SqliteStateStore(file, storage);
}
