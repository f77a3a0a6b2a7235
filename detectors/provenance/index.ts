// Public surface of the provenance detector: parsing, features, history, models, scoring (the
// daemon wires the module; tools/model and bench/ use the rest).
export { checkDepth, IN_TOTO_PAYLOAD_TYPE, MAX_DEPTH, MAX_DOCUMENT_BYTES, type ProvenanceInput, readProvenanceText, readProvenanceValue } from './document.js';
export { ModelError, type ModelErrorCode, ProvenanceError, type ProvenanceErrorCode, TrainError, type TrainErrorCode } from './errors.js';
export { builderTrusted, extractFeatures, FEATURE_COUNT, FEATURE_SCHEMA_VERSION, type FeatureName, FEATURES, TRUSTED_BUILDERS } from './features.js';
export { contextFor, type HistoryContext, type HistoryStore, MemoryHistoryStore, recordRelease, type RepoHistory, subjectKey } from './history.js';
export { type LoadedModel, loadModel, loadModelFile, metadataPathFor, type ModelMetadata, modelMetadataSchema } from './model.js';
export { normalizeProvenance, normalizeRepo, type Provenance, SLSA_PREDICATES } from './normalize.js';
export { describeFeature } from './reasons.js';
export { FLOOR_RULES, floorHits } from './rules.js';
export { OnnxRuntime, type ScoringRuntime, type ScoringSession } from './runtime.js';
export { scoreBatch, type ScoreItem, type Verdict } from './scorer.js';
export { createProvenanceDetector, ProvenanceDetector } from './detector.js';
export { fromArtifact, fromRekor, type ScoreInput } from './inputs.js';
export { ModelHolder } from './model-watch.js';
export { featureLines, replayForTraining, type Replayed } from './training.js';
export { DEFAULT_MODEL } from './commands.js';
