// Public surface of the ct-watch detector (the daemon wires it; nothing else imports it).
export { createCtWatchDetector, CtWatchDetector } from './detector.js';
export { ctWatchConfigSchema, type CtWatchConfig, type CtWatchConfigInput } from './config.js';
export { DETECTOR as CT_WATCH_DETECTOR, RULE_MALFORMED, RULE_UNEXPECTED } from './findings.js';
/** The compiled watchlist alone, for bench/ct-watch.bench.ts (the prefilter is the per-entry hot path). */
export { Watchlist } from './watchlist.js';
