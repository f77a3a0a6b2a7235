import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Logger, Metrics } from '../../core/index.js';
import { ModelError } from './errors.js';
import { type LoadedModel, loadModelFile, metadataPathFor } from './model.js';
import type { ScoringRuntime } from './runtime.js';

/**
 * Holds the model the detector scores with and reloads it when the model file or its metadata
 * changes (modification time and size, checked every `modelCheckInterval`). A candidate replaces
 * the current model only after loadModelFile accepted it (readable, valid metadata, same feature
 * schema, runtime accepts it, probe row finite): a missing, corrupt or other-schema file is logged
 * with its code and counted (chainwatch_provenance_model_reloads_total{result=<code>}) and the
 * good model stays. Without any good model the rule floor alone decides (scorer.ts).
 */
export interface CurrentModel {
  model: LoadedModel;
  /** SHA-256 of the .onnx bytes (what findings name besides the version). */
  sha256: string;
}

export class ModelHolder {
  private current: CurrentModel | undefined;
  private stamp = '';
  private readonly reloads;

  constructor(
    private readonly path: string,
    private readonly runtime: ScoringRuntime,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.reloads = metrics.counter('provenance_model_reloads_total', 'Model (re)load attempts by result (ok or a ModelError code)', ['result']);
  }

  get(): CurrentModel | undefined {
    return this.current;
  }

  /** Loads the model when its files changed since the last attempt (the first call always tries). */
  async check(): Promise<void> {
    const stamp = await this.fileStamp();
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      const bytes = await readFile(this.path).catch((e: unknown) => {
        throw new ModelError('MODEL_MISSING', `model ${this.path} cannot be read`, { cause: e });
      });
      const model = await loadModelFile(this.runtime, this.path);
      const previous = this.current;
      this.current = { model, sha256: createHash('sha256').update(bytes).digest('hex') };
      // check() runs on the detector's serial chain between batches: nothing scores with the old model now.
      await previous?.model.release().catch(() => undefined);
      this.reloads.inc({ result: 'ok' });
      this.logger.info({ path: this.path, version: model.version, sha256: this.current.sha256 }, 'provenance: model loaded');
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      this.reloads.inc({ result: e.code });
      this.logger.error(
        { path: this.path, code: e.code, kept: this.current?.model.version ?? 'none (rule floor only)' },
        `provenance: model not loaded (${e.code}): ${e.message}`,
      );
    }
  }

  async release(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    this.stamp = '';
    await c?.model.release().catch(() => undefined);
  }

  private async fileStamp(): Promise<string> {
    const one = async (p: string) => {
      try {
        const s = await stat(p);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return 'absent';
      }
    };
    return `${await one(this.path)}|${await one(metadataPathFor(this.path))}`;
  }
}
