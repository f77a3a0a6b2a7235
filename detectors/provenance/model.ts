import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ModelError } from './errors.js';
import { FEATURE_COUNT, FEATURE_SCHEMA_VERSION, FEATURES } from './features.js';
import type { ScoringRuntime, ScoringSession } from './runtime.js';

/**
 * A model on disk is two files: `<name>.onnx` and its metadata `<name>.json` (tools/model/train.py
 * writes both). Loading checks, in order: both files readable (MODEL_MISSING), metadata valid
 * (MODEL_CORRUPT), feature schema version and names equal to this code's (MODEL_SCHEMA_MISMATCH),
 * the runtime accepts the bytes (MODEL_CORRUPT), and a probe row scores to a finite number
 * (MODEL_CORRUPT). Only a model that passed all of them is ever swapped in (hot reload).
 */
export const modelMetadataSchema = z.object({
  format: z.literal('chainwatch.provenance-model.v1'),
  schemaVersion: z.number().int(),
  featureNames: z.array(z.string()),
  algorithm: z.string(),
  scoreOutput: z.string().min(1),
  /** Multiply the raw output by this to get an anomaly score (higher = more anomalous). */
  scoreSign: z.union([z.literal(1), z.literal(-1)]),
  threshold: z.number().finite(),
  calibration: z.record(z.string(), z.number()),
  training: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), documents: z.number().int().positive(), bytes: z.number().int().nonnegative() }),
  medians: z.array(z.number()),
  trainedAt: z.string(),
  trainedOn: z.string(),
  versions: z.record(z.string(), z.string()).default({}),
});
export type ModelMetadata = z.output<typeof modelMetadataSchema>;

export interface LoadedModel {
  metadata: ModelMetadata;
  /** "<trainedAt>/<training sha256 prefix>": what findings name as the model version. */
  version: string;
  /** Anomaly scores (higher = more anomalous) of `rows` feature rows. */
  score(batch: Float32Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** The metadata path beside a model: x.onnx -> x.json. */
export const metadataPathFor = (modelPath: string): string => modelPath.replace(/\.onnx$/, '') + '.json';

export async function loadModelFile(runtime: ScoringRuntime, modelPath: string): Promise<LoadedModel> {
  let bytes: Buffer;
  let metaText: string;
  try {
    [bytes, metaText] = await Promise.all([readFile(modelPath), readFile(metadataPathFor(modelPath), 'utf8')]);
  } catch (e) {
    throw new ModelError('MODEL_MISSING', `model ${modelPath} or its metadata ${metadataPathFor(modelPath)} cannot be read`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(metaText);
  } catch (e) {
    throw new ModelError('MODEL_CORRUPT', 'model metadata is not JSON', { cause: e });
  }
  return loadModel(runtime, bytes, raw);
}

export async function loadModel(runtime: ScoringRuntime, bytes: Uint8Array, rawMetadata: unknown): Promise<LoadedModel> {
  const parsed = modelMetadataSchema.safeParse(rawMetadata);
  if (!parsed.success)
    throw new ModelError('MODEL_CORRUPT', `model metadata is invalid: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const meta = parsed.data;
  if (meta.schemaVersion !== FEATURE_SCHEMA_VERSION || meta.featureNames.join(',') !== FEATURES.join(',')) {
    throw new ModelError(
      'MODEL_SCHEMA_MISMATCH',
      `model was trained on feature schema ${meta.schemaVersion}; this build extracts schema ${FEATURE_SCHEMA_VERSION}`,
    );
  }
  if (meta.medians.length !== FEATURE_COUNT) throw new ModelError('MODEL_CORRUPT', 'model metadata medians do not match the feature count');
  const session: ScoringSession = await runtime.load(bytes, FEATURE_COUNT, meta.scoreOutput);
  const sign = meta.scoreSign;
  const model: LoadedModel = {
    metadata: meta,
    version: `${meta.trainedAt}/${meta.training.sha256.slice(0, 12)}`,
    async score(batch, rows) {
      const raw = await session.score(batch, rows);
      const out = new Float32Array(rows);
      for (let i = 0; i < rows; i++) out[i] = sign * raw[i]!;
      return out;
    },
    release: () => session.release(),
  };
  const probe = await model.score(Float32Array.from(meta.medians), 1);
  if (!Number.isFinite(probe[0])) {
    await session.release();
    throw new ModelError('MODEL_CORRUPT', 'model scores a probe row to a non-finite value');
  }
  return model;
}
