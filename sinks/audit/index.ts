// Public surface of the audit trail: the store port and its two backends, the sink component,
// operator actions, proofs, verification and the CLI. See docs/audit.md.
export * from './port.js';
export { AuditError, type AuditErrorCode, type IntegrityProblem } from './errors.js';
export { canonicalJson } from '../../core/index.js';
export { auditConfigSchema, parseAuditConfig, type AuditConfig, type AuditConfigInput, type AuditBackendConfig } from './config.js';
export { SqliteAuditStore, type SqliteAuditStoreOptions } from './sqlite.js';
export { OpenSearchAuditStore, type OpenSearchAuditStoreOptions } from './search/store.js';
// The client adapters (OpenSearchJs, ElasticsearchJs) are imported from their own files: they
// load large client libraries, which createAuditStore() loads only when a search backend is used.
export type { SearchTransport, SearchRequest, SearchResponse, SearchTransportOptions } from './search/transport.js';
export { createAuditStore, auditDir } from './factory.js';
export { AuditSink, createAuditSink } from './sink.js';
export { appendOperatorAction, type OperatorAction } from './operator.js';
export { auditRecordUrl, getRecordWithProof, verifyRecordProof, type RecordProof } from './proof.js';
export { verifyAuditTrail, type IntegrityFailure, type VerifyOptions, type VerifyReport } from './verify.js';
export {
  auditOrigin,
  checkpointKeyFrom,
  checkpointKeyRef,
  KEY_FILE,
  openCheckpointKey,
  readKeyHistory,
  signCheckpoint,
  VKEY_FILE,
  type CheckpointKey,
} from './checkpoint.js';
export { entryFromBusRecord } from './record.js';
export { CheckpointWitness, type ProofSource, type WitnessOptions } from './witness/witness.js';
export { WitnessError, type WitnessErrorCode } from './witness/errors.js';
export { auditCommands, type AuditCommandDeps } from './commands.js';
export { auditModule } from './module.js';
export { auditPreflight, auditWarnings } from './preflight.js';
