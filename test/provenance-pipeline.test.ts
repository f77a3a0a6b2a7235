/**
 * The model pipeline end to end from the test command: the pinned Python venv
 * (scripts/services/model-venv.sh) trains an IsolationForest on a small generated corpus, exports
 * ONNX + metadata, and onnxruntime-node loads and scores it. Small on purpose (cold cost: the venv
 * build once, then a few seconds); the shipped model is made the same way at full size (docs/provenance.md).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { realdata } from '../core/testing/index.js';
import { FEATURE_SCHEMA_VERSION, loadModelFile, OnnxRuntime } from '../detectors/provenance/index.js';
import { generateCorpus } from '../tools/model/corpus.js';
import { rocAuc } from '../tools/model/metrics.js';
import { featureLines, runTrain } from '../tools/model/pipeline.js';
import { loadTemplates } from '../tools/model/templates.js';
import { service } from './helpers/services.js';

const python = service('CHAINWATCH_TEST_MODEL_PYTHON', 'provenance model venv (Python, scikit-learn, onnx)');
const rd = realdata();

describe.skipIf(python.skip || rd.skip)('provenance model pipeline (Python step, pinned venv)', () => {
  it('trains, exports, loads and ranks held-out anomalies above held-out normal releases', async () => {
    const templates = loadTemplates(rd.dir);
    const dir = mkdtempSync(join(tmpdir(), 'prov-pipeline-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const train = await generateCorpus(templates, { split: 'ttrain', seed: 11, repos: 80, releases: 12, anomalies: false });
    const lines = featureLines(train);
    writeFileSync(join(dir, 'train.jsonl'), lines);
    runTrain(python.value!, join(dir, 'train.jsonl'), dir, 'test corpus', ['--trees', '30']);
    const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { schemaVersion: number; training: { sha256: string; documents: number } };
    expect(meta.schemaVersion).toBe(FEATURE_SCHEMA_VERSION);
    expect(meta.training).toMatchObject({ sha256: createHash('sha256').update(lines).digest('hex'), documents: train.length });

    const model = await loadModelFile(new OnnxRuntime(), join(dir, 'model.onnx'));
    const held = await generateCorpus(templates, { split: 'theld', seed: 12, repos: 20, releases: 12, anomalies: true });
    const batch = new Float32Array(held.length * held[0]!.features.length);
    held.forEach((s, i) => batch.set(s.features, i * s.features.length));
    const scores = await model.score(batch, held.length);
    const pos = held.flatMap((s, i) => (s.label !== 'normal' ? [scores[i]!] : []));
    const neg = held.flatMap((s, i) => (s.label === 'normal' ? [scores[i]!] : []));
    expect(rocAuc(pos, neg)).toBeGreaterThan(0.7);
    await model.release();
  }, 120_000);
});
