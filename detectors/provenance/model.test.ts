import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { realdata } from '../../core/testing/index.js';
import { readProvenanceText } from './document.js';
import { ModelError } from './errors.js';
import { extractFeatures } from './features.js';
import { loadModelFile } from './model.js';
import { normalizeProvenance } from './normalize.js';
import { OnnxRuntime } from './runtime.js';
import { scoreBatch } from './scorer.js';

/** The shipped default model (detectors/provenance/model/, made by tools/model/pipeline.ts) through onnxruntime-node. */
const DEFAULT = join(import.meta.dirname, 'model', 'default.onnx');
const rd = realdata();
const runtime = new OnnxRuntime();

describe('provenance models', () => {
  it('loads the default model and refuses missing, corrupt and other-schema models with coded errors', async () => {
    const m = await loadModelFile(runtime, DEFAULT);
    expect(m.metadata.threshold).toBeGreaterThan(0);
    await m.release();
    const dir = mkdtempSync(join(tmpdir(), 'prov-model-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await expect(loadModelFile(runtime, join(dir, 'absent.onnx'))).rejects.toThrowWithCode(ModelError, 'MODEL_MISSING');
    writeFileSync(join(dir, 'corrupt.onnx'), 'not a model');
    copyFileSync(DEFAULT.replace(/\.onnx$/, '.json'), join(dir, 'corrupt.json'));
    await expect(loadModelFile(runtime, join(dir, 'corrupt.onnx'))).rejects.toThrowWithCode(ModelError, 'MODEL_CORRUPT');
    copyFileSync(DEFAULT, join(dir, 'other.onnx'));
    const meta = JSON.parse(readFileSync(DEFAULT.replace(/\.onnx$/, '.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...meta, schemaVersion: 999 }));
    await expect(loadModelFile(runtime, join(dir, 'other.onnx'))).rejects.toThrowWithCode(ModelError, 'MODEL_SCHEMA_MISMATCH');
    writeFileSync(join(dir, 'other.json'), '{');
    await expect(loadModelFile(runtime, join(dir, 'other.onnx'))).rejects.toThrowWithCode(ModelError, 'MODEL_CORRUPT');
  });

  it.skipIf(rd.skip)('scores real normal documents normal and the real forked-builder document anomalous, with reasons', async () => {
    const m = await loadModelFile(runtime, DEFAULT);
    const item = (f: string) => {
      const provenance = normalizeProvenance(readProvenanceText(readFileSync(join(rd.dir, 'slsa', 'slsa-verifier', f))));
      const history = { repo: undefined, subjectRepo: undefined };
      return { provenance, history, features: extractFeatures(provenance, history) };
    };
    const [normal, forked] = await scoreBatch(m, [
      item('gha_go/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl'),
      item('fail/binary-linux-amd64-untrusted-builder.intoto.jsonl'),
    ]);
    expect(normal).toMatchObject({ anomalous: false, modelVersion: m.version });
    expect(normal!.score).toBeLessThan(m.metadata.threshold);
    expect(forked).toMatchObject({ anomalous: true, rules: ['untrusted_builder'] });
    expect(forked!.reasons[0]).toContain('asraa/slsa-github-generator');
    await m.release();
  });
});
