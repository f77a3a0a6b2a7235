import { ChainwatchError } from '../../core/index.js';

/**
 * Why a provenance document could not be read, or a model could not be loaded. Bad input never
 * crashes anything: the parser throws one of these, the detector turns it into a "not scored"
 * outcome (docs/provenance.md), the CLI into exit 2.
 */
export type ProvenanceErrorCode =
  /** Not JSON (or not a JSON object). */
  | 'PROVENANCE_MALFORMED_JSON'
  /** Larger than the byte limit (before or after base64 decoding). */
  | 'PROVENANCE_TOO_LARGE'
  /** Nests deeper than the depth limit. */
  | 'PROVENANCE_TOO_DEEP'
  /** A DSSE envelope without a decodable payload or with a broken signatures list. */
  | 'PROVENANCE_BAD_DSSE'
  /** A DSSE envelope whose payloadType is not in-toto. */
  | 'PROVENANCE_WRONG_PAYLOAD_TYPE'
  /** Not an in-toto Statement (no _type / subject / predicateType). */
  | 'PROVENANCE_NOT_STATEMENT'
  /** A statement whose predicate is not SLSA provenance (v0.1, v0.2, v1). */
  | 'PROVENANCE_UNKNOWN_PREDICATE'
  /** A SLSA predicate without the fields every version requires (builder id). */
  | 'PROVENANCE_INVALID_PREDICATE'
  /** A Rekor entry body that carries only hashes, not the statement (dsse v0.0.1, intoto v0.0.2). */
  | 'PROVENANCE_NO_PAYLOAD';
export class ProvenanceError extends ChainwatchError<ProvenanceErrorCode> {}

export type ModelErrorCode =
  /** The model or its metadata file does not exist or cannot be read. */
  | 'MODEL_MISSING'
  /** The metadata is not valid, or the runtime refused the model bytes. */
  | 'MODEL_CORRUPT'
  /** The model was trained on another feature schema version than this code extracts. */
  | 'MODEL_SCHEMA_MISMATCH'
  /** The runtime failed while scoring a batch. */
  | 'MODEL_INFERENCE_FAILED';
export class ModelError extends ChainwatchError<ModelErrorCode> {}

export type TrainErrorCode =
  /** The audit trail cannot be opened or read (missing file, not an audit database, another backend). */
  | 'TRAIN_AUDIT_UNREADABLE'
  /** The audit trail holds too few scoreable provenance documents to learn from. */
  | 'TRAIN_TOO_FEW_DOCUMENTS'
  /** No Python for the model pipeline (--python or CHAINWATCH_MODEL_PYTHON), or tools/model/train.py is not there. */
  | 'TRAIN_PYTHON_MISSING'
  /** The Python step failed. */
  | 'TRAIN_FAILED';
/** Why `provenance train --from-audit` could not make a model (the model it made is checked by loadModelFile: ModelError). */
export class TrainError extends ChainwatchError<TrainErrorCode> {}
