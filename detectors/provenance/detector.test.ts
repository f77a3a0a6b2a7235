import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CloudEvent, type Finding, makeEvent, RekorEntryEvent, type StateStore, topicFor } from '../../core/index.js';
import { MemoryStateStore, realdata, testContext } from '../../core/testing/index.js';
import { DEFAULT_MODEL } from './commands.js';
import { createProvenanceDetector } from './detector.js';
import { FEATURE_SCHEMA_VERSION } from './features.js';
import { ModelError } from './errors.js';
import { metadataPathFor } from './model.js';
import { OnnxRuntime, type ScoringRuntime } from './runtime.js';
import { madeAnomalous, provenanceEvent, realPredicate } from './testing/index.js';

/**
 * The detector component on the in-memory bus and state twins, with the SHIPPED model through
 * onnxruntime-node and a REAL SLSA v0.2 provenance (testing/index.ts) as the normal document.
 */
const rd = realdata();
const REPO_KEY = 'provenance:repo:github.com/slsa-framework/example-package';

/** A private copy of the shipped model (hot-reload tests overwrite it). */
function modelCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cw-prov-model-'));
  const path = join(dir, 'm.onnx');
  copyFileSync(DEFAULT_MODEL, path);
  copyFileSync(metadataPathFor(DEFAULT_MODEL), metadataPathFor(path));
  return path;
}

async function harness(opts: { model?: string; state?: StateStore; config?: Record<string, unknown>; runtime?: ScoringRuntime } = {}) {
  const ctx = testContext('/nonexistent');
  if (opts.state) ctx.state = opts.state;
  const detector = createProvenanceDetector({ modelCheckInterval: 3_600_000, ...opts.config }, ctx, opts.model ?? DEFAULT_MODEL, opts.runtime);
  await detector.start();
  const feed = async (...evs: CloudEvent[]) => {
    await ctx.bus.publish(evs);
    await ctx.bus.drain();
  };
  const findings = () => ctx.bus.events(topicFor('findings')).map((e) => e.data as Finding);
  return { ctx, detector, feed, findings };
}

// Each test loads the ~1 MB model through onnxruntime-node (seconds on a loaded 2-core machine).
describe.skipIf(rd.skip)('provenance detector (component, in-memory bus)', { timeout: 120_000 }, () => {
  const { predicateType, predicate } = realPredicate(rd.dir);

  it('a normal real provenance gives no finding and becomes history; an anomalous one gives one finding with reasons', async () => {
    const h = await harness();
    await h.feed(provenanceEvent('1', [{ predicateType, predicate }]));
    expect(h.findings()).toEqual([]);
    expect(h.ctx.metrics.get('provenance_scored_total', { verdict: 'normal' })).toBe(1);
    expect((await h.ctx.state.get<{ releases: unknown[] }>(REPO_KEY))?.releases).toHaveLength(1);

    const bad = provenanceEvent('2', [{ predicateType, predicate: madeAnomalous(predicate) }]);
    await h.feed(bad, bad); // redelivery: the same finding id
    const fs = h.findings();
    expect(new Set(fs.map((f) => f.findingId)).size).toBe(1);
    const f = fs[0]!;
    expect(f).toMatchObject({
      detector: 'provenance',
      rule: 'provenance.anomalous',
      severity: 'medium',
      category: 'security',
      subject: `ghcr.io/slsa-framework/example-package@sha256:${'2'.repeat(64)}`,
      dedupKey: `provenance.anomalous|sha256:${'2'.repeat(64)}|${predicateType}`,
      causedBy: [bad.id],
    });
    expect(f.evidence).toMatchObject({
      featureSchemaVersion: FEATURE_SCHEMA_VERSION,
      rules: expect.arrayContaining(['untrusted_builder', 'self_hosted_runner']),
    });
    expect(typeof f.evidence.score).toBe('number');
    expect(typeof f.evidence.threshold).toBe('number');
    expect(f.evidence.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(f.evidence.reasons).toEqual(expect.arrayContaining([expect.stringContaining('self-hosted runner')]));
    expect(f.description).toContain('not a known trusted builder');
    await h.detector.stop();
  });

  it('scores only verified attestations whose subject matches; unscorable ones are counted by code, not reported', async () => {
    const h = await harness();
    await h.feed(
      provenanceEvent('3', [
        { predicateType, predicate: madeAnomalous(predicate), verified: false },
        { predicateType, predicate: madeAnomalous(predicate), subjectMatches: false },
        { predicateType, predicate: undefined },
        { predicateType, predicate: { buildType: 'x' } },
        { predicateType: 'https://cyclonedx.org/bom', predicate: { components: [] } },
      ]),
    );
    expect(h.findings()).toEqual([]);
    expect(h.ctx.metrics.get('provenance_skipped_total', { reason: 'unverified' })).toBe(1);
    expect(h.ctx.metrics.get('provenance_skipped_total', { reason: 'subject_mismatch' })).toBe(1);
    expect(h.ctx.metrics.get('provenance_not_scored_total', { code: 'PROVENANCE_NO_PAYLOAD' })).toBe(1);
    expect(h.ctx.metrics.get('provenance_not_scored_total', { code: 'PROVENANCE_INVALID_PREDICATE' })).toBe(1);
    expect(await h.ctx.state.get(REPO_KEY)).toBeUndefined();
    await h.detector.stop();
  });

  it('Rekor dsse entries carry only hashes: skipped with a metric', async () => {
    const h = await harness();
    const entry = makeEvent({
      type: RekorEntryEvent.type,
      source: 'chainwatch://collectors/rekor',
      subject: `sha256:${'e'.repeat(64)}`,
      data: {
        log: { origin: 'rekor.sigstore.dev', url: 'https://rekor.sigstore.dev' },
        uuid: 'u1',
        logIndex: 1,
        treeIndex: 1,
        kind: 'dsse',
        body: { kind: 'dsse', apiVersion: '0.0.1', spec: { payloadHash: { algorithm: 'sha256', value: 'e'.repeat(64) }, signatures: [] } },
        verification: { inclusion: true, set: true, checkpoint: { size: 2, rootHash: 'ab' } },
      },
    });
    await h.feed(entry);
    expect(h.ctx.metrics.get('provenance_skipped_total', { reason: 'rekor_no_payload' })).toBe(1);
    expect(h.findings()).toEqual([]);
    await h.detector.stop();
  });

  it('documents of one batch see each other as history; history does not move when publishing the findings fails', async () => {
    const h = await harness({ config: { batchWait: 50 } });
    await h.feed(provenanceEvent('4', [{ predicateType, predicate }]), provenanceEvent('5', [{ predicateType, predicate }]));
    expect((await h.ctx.state.get<{ releases: unknown[] }>(REPO_KEY))?.releases).toHaveLength(2);

    const before = await h.ctx.state.get(REPO_KEY);
    h.ctx.bus.failWith = new Error('broker down');
    const bad = provenanceEvent('6', [{ predicateType, predicate: madeAnomalous(predicate) }]);
    await expect(h.detector.process([{ rec: { event: bad } as never, resolve: () => {}, reject: () => {} }])).rejects.toThrow('broker down');
    expect(await h.ctx.state.get(REPO_KEY)).toEqual(before);
    h.ctx.bus.failWith = undefined;
    await h.detector.stop();
  });

  it('without a usable model the rule floor still reports; a bad model file never replaces a good one', async () => {
    const noModel = await harness({ model: join(tmpdir(), 'cw-prov-absent', 'none.onnx') });
    await noModel.feed(provenanceEvent('7', [{ predicateType, predicate: madeAnomalous(predicate) }]));
    expect(noModel.findings()).toHaveLength(1);
    expect(noModel.findings()[0]!.evidence).toMatchObject({ score: null, modelVersion: null, rules: expect.arrayContaining(['untrusted_builder']) });
    expect(noModel.ctx.metrics.get('provenance_model_reloads_total', { result: 'MODEL_MISSING' })).toBe(1);
    await noModel.detector.stop();

    const path = modelCopy();
    const h = await harness({ model: path, state: new MemoryStateStore() });
    const good = h.detector.health().detail;
    expect(good).toMatch(/^model /);
    writeFileSync(path, 'not an onnx model');
    await h.detector.checkModel();
    expect(h.ctx.metrics.get('provenance_model_reloads_total', { result: 'MODEL_CORRUPT' })).toBe(1);
    expect(h.detector.health().detail).toBe(good);
    copyFileSync(DEFAULT_MODEL, path);
    const meta = JSON.parse(await import('node:fs/promises').then((f) => f.readFile(metadataPathFor(DEFAULT_MODEL), 'utf8'))) as { schemaVersion: number };
    writeFileSync(metadataPathFor(path), JSON.stringify({ ...meta, schemaVersion: meta.schemaVersion + 1 }));
    await h.detector.checkModel();
    expect(h.ctx.metrics.get('provenance_model_reloads_total', { result: 'MODEL_SCHEMA_MISMATCH' })).toBe(1);
    rmSync(path);
    await h.detector.checkModel();
    expect(h.ctx.metrics.get('provenance_model_reloads_total', { result: 'MODEL_MISSING' })).toBe(1);
    expect(h.detector.health().detail).toBe(good);
    // Still scoring with the good model.
    await h.feed(provenanceEvent('8', [{ predicateType, predicate: madeAnomalous(predicate) }]));
    expect(typeof h.findings()[0]!.evidence.score).toBe('number');
    copyFileSync(DEFAULT_MODEL, path);
    copyFileSync(metadataPathFor(DEFAULT_MODEL), metadataPathFor(path));
    await h.detector.checkModel();
    expect(h.ctx.metrics.get('provenance_model_reloads_total', { result: 'ok' })).toBe(2);
    await h.detector.stop();
  });

  it('an inference failure falls back to the rule floor for that batch (counted), nothing is lost', async () => {
    // The real onnxruntime session, made to fail on demand after loading (the probe row passed).
    const fail = { on: false };
    const onnx = new OnnxRuntime();
    const runtime: ScoringRuntime = {
      name: 'failing-onnx',
      async load(bytes, width, out) {
        const s = await onnx.load(bytes, width, out);
        return { ...s, width: s.width, score: (b, r) => (fail.on ? Promise.reject(new ModelError('MODEL_INFERENCE_FAILED', 'injected')) : s.score(b, r)) };
      },
    };
    const h = await harness({ runtime });
    fail.on = true;
    await h.feed(provenanceEvent('9', [{ predicateType, predicate: madeAnomalous(predicate) }]), provenanceEvent('a', [{ predicateType, predicate }]));
    expect(h.ctx.metrics.get('provenance_inference_failures_total')).toBeGreaterThanOrEqual(1);
    expect(h.findings()).toHaveLength(1);
    expect(h.findings()[0]!.evidence).toMatchObject({ score: null, rules: expect.arrayContaining(['self_hosted_runner']) });
    await h.detector.stop();
  });
});
