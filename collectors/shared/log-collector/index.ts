// What every log collector (collectors/rekor, collectors/ct) shares around its follower: the polling
// loop with its cursor and checkpoint heartbeat, and the config fields of a followed log.
export { LogCollector, type LogCollectorSettings, type LogCursorBase } from './collector.js';
export { logFollowerFields, startIndex, type StartAt } from './config.js';
