// Public surface of the SQLite StateStore adapter.
export { SqliteStateStore } from './sqlite-state-store.js';
