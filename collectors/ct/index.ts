// Public surface of the CT collector (RFC 6962 and Static CT API logs; full audit).
export { CtCollector, createCtCollector, ctStateKey } from './collector.js';
export { ctLogConfigSchema, type CtLogConfig, type CtLogConfigInput } from './config.js';
export { CtError, type CtErrorCode } from './errors.js';
export type { CtCursor } from './follower.js';
export { parseMerkleTreeLeaf, parseRfc6962Entry, parseDataTile, type CtLogEntry, type TimestampedEntry, type TileLeaf } from './leaf.js';
export { loadLogKey, verifySth, type CtLogKey, type SignedTreeHead } from './log-key.js';
export { LOG_STATES, parseLogList, pickLogs, type ListedLog, type LogState } from './loglist.js';
export { Rfc6962Client } from './rfc6962-client.js';
export { ctModule } from './module.js';
export { ctBackfillCommand, ctBackfillStateKey, ctLogsCommand } from './commands.js';
export { ctSectionSchema, logsOf, type CtSection } from './section.js';
