// Test twins of the audit trail: the AuditStore contract suite, SQLite tampering helpers, and the
// search-engine client adapters (kept out of index.ts: they load large client libraries).
export * from './contract.js';
export * from './sqlite-tamper.js';
export { ElasticsearchJs } from '../search/elasticsearch-js.js';
export { OpenSearchJs } from '../search/opensearch-js.js';
export { searchKey, WAL_AUTOCHECKPOINT } from '../sqlite-schema.js';
