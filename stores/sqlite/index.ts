// Public surface of stores/sqlite: the standalone SQLite StateStore and the choice of state store for a bus.
export { SqliteStateStore } from './sqlite-state-store.js';
export { STATE_FILE, stateStoreFor } from './state-for-bus.js';
