import type { StorageMonitor } from '../../core/index.js';
import { openSqlite, SqliteStateTable, STATE_TABLE } from '../../core/sqlite/index.js';

/**
 * Durable key/value state (cursors, checkpoints) in its own SQLite file, `<dataDir>/state.db`,
 * for buses that do not keep state themselves (Kafka; see stateStoreFor). put() returns after
 * the write committed.
 */
export class SqliteStateStore extends SqliteStateTable {
  constructor(path: string, storage?: StorageMonitor) {
    // process-crash (synchronous=NORMAL) suffices beside Kafka: a cursor is put only after Kafka
    // acknowledged what it covers with acks=all (replicated, on other machines), so a cursor
    // that power loss rolls back re-reads entries (at-least-once), never skips them.
    super(openSqlite(path, { durability: 'process-crash', migrations: [STATE_TABLE] }), storage && { monitor: storage, store: 'state', path });
  }
}
