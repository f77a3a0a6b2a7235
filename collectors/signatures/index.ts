export { isFresh, ResultCache } from './cache.js';
export { SignaturesCollector, type SignaturesDeps } from './collector.js';
export { signaturesConfigSchema, type SignaturesConfig, type SignaturesConfigInput } from './config.js';
export { classify, discover, type Discovery, type DiscoveryError, type DiscoveryLimits } from './discover.js';
export type { DiscoveredArtifact, DiscoveredKind, DiscoveredLayer } from './discovered.js';
export { signaturesModule } from './module.js';
export { noPolicies, type EvaluatePolicies, type PolicyFacts, type VerifyArtifacts } from './ports.js';
