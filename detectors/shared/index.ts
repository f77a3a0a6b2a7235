// What detectors share: deterministic finding ids and dedup keys, and the finding builder.
export * from './findings.js';
