/**
 * `chainwatch provenance train --from-audit` end to end on an audit trail the real daemon wrote:
 * the daemon (embedded bus, default audit sink, provenance detector) consumes registry
 * artifact.verified events published through the real `chainwatch events publish registry` CLI —
 * 30 releases of 3 repositories whose predicates tools/model/corpus.ts renders from the REAL SLSA
 * structures in ../shared/realdata, plus the REAL slsa-framework/example-package provenance turned
 * anomalous (forked builder, self-hosted runner), which the detector flags. Then the train command
 * (a separate CLI process) reads the trail, runs the pinned Python step (model venv service), and
 * the written model loads through onnxruntime-node with this build's feature schema; the flagged
 * release is not learnt as normal, and the metadata's training hash is that of the written data.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type CloudEvent, imageSubject } from '../../core/index.js';
import { realdata } from '../../core/testing/index.js';
import { FEATURE_SCHEMA_VERSION, loadModelFile, normalizeProvenance, OnnxRuntime } from '../../detectors/provenance/index.js';
import { madeAnomalous, provenanceEvent, realPredicate } from '../../detectors/provenance/testing/index.js';
import { generateCorpus } from '../../tools/model/corpus.js';
import { loadTemplates } from '../../tools/model/templates.js';
import { built, journalEvents, runCli, startDaemon } from '../helpers/daemon-process.js';
import { service } from '../helpers/services.js';

const rd = realdata();
const python = service('CHAINWATCH_TEST_MODEL_PYTHON', 'provenance model venv (Python, scikit-learn, onnx)');

/** An artifact.verified event for one generated release, its image named after the release's source repository. */
function releaseEvent(statement: Record<string, unknown>, n: number): CloudEvent {
  const src = normalizeProvenance({ statement }).sourceRepo!;
  const ev = provenanceEvent('0', [{ predicateType: String(statement.predicateType), predicate: statement.predicate }], src.split('/').slice(1).join('/'));
  const data = ev.data as { image: { registry: string; repository: string; digest: string } };
  data.image.digest = `sha256:${n.toString(16).padStart(64, '0')}`;
  return { ...ev, subject: imageSubject(data.image) };
}

describe.skipIf(!built() || rd.skip || python.skip)('provenance train --from-audit (daemon-written audit trail, pinned Python step)', () => {
  it('learns from the recorded releases, leaves out the flagged one, and writes a model the detector loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-prov-train-'));
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 50ms\nsinks:\n  journal:\n    path: journal.jsonl\n    families: [findings]\ndetectors:\n  provenance: {}\nshutdown:\n  deadline: 10s\n',
    );
    const samples = await generateCorpus(loadTemplates(rd.dir), { split: 'audit-train', seed: 77, repos: 3, releases: 10, anomalies: false });
    const { predicateType, predicate } = realPredicate(rd.dir);
    const events = [
      ...samples.map((s, i) => releaseEvent(s.doc.statement, i + 1)),
      provenanceEvent('f', [{ predicateType, predicate: madeAnomalous(predicate) }]),
    ];
    const flagged = events.at(-1)!;

    const d = await startDaemon(['--config', cfg, '--data-dir', dir]);
    try {
      const pub = await runCli(['events', 'publish', 'registry', '--config', cfg, '--data-dir', dir], events.map((e) => JSON.stringify(e)).join('\n'));
      expect(pub.code, pub.stderr).toBe(0);
      // The trail holds every release and the provenance finding before the daemon stops.
      // CSV: one line per record (the JSON pages carry whole payloads, ~10 KB per release).
      const count = async (args: string[]) =>
        (await runCli(['audit', 'query', ...args, '--limit', '200', '--csv', '--data-dir', dir])).stdout.trim().split('\n').length - 1;
      await vi.waitFor(async () => expect(await count(['--type', 'dev.chainwatch.registry.artifact.verified.v1'])).toBe(events.length), {
        timeout: 90_000,
        interval: 500,
      });
      await vi.waitFor(async () => expect(await count(['--kind', 'finding', '--subject', flagged.subject!])).toBeGreaterThan(0), {
        timeout: 90_000,
        interval: 500,
      });
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
    } finally {
      d.child.kill('SIGKILL');
    }
    expect(
      journalEvents<{ detector: string }>(join(dir, 'journal.jsonl'), 'dev.chainwatch.finding.v1').filter((f) => f.detector === 'provenance'),
    ).toHaveLength(1);

    const out = join(dir, 'model');
    const r = await runCli(['provenance', 'train', '--from-audit', '--config', cfg, '--data-dir', dir, '--out', out, '--trees', '25', '--json'], '', {
      CHAINWATCH_MODEL_PYTHON: python.value!,
    });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as {
      model: string;
      schemaVersion: number;
      threshold: number;
      documents: number;
      excluded: number;
      repositories: number;
      sha256: string;
    };
    expect(summary).toMatchObject({
      model: join(out, 'model.onnx'),
      schemaVersion: FEATURE_SCHEMA_VERSION,
      documents: samples.length,
      excluded: 1,
      repositories: 4,
    });
    expect(summary.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(out, 'train.jsonl')))
        .digest('hex'),
    );

    // The detector's own loader accepts it (schema version and names, runtime, probe row), and it scores.
    const model = await loadModelFile(new OnnxRuntime(), summary.model);
    expect(model.metadata).toMatchObject({ schemaVersion: FEATURE_SCHEMA_VERSION, threshold: summary.threshold });
    expect(model.metadata.trainedOn).toContain('audit trail');
    const probe = await model.score(Float32Array.from(model.metadata.medians), 1);
    expect(Number.isFinite(probe[0])).toBe(true);
    await model.release();

    // Without a Python the command refuses with exit 2 and writes nothing new.
    const none = await runCli(['provenance', 'train', '--from-audit', '--config', cfg, '--data-dir', dir, '--out', join(dir, 'other')], '', {
      CHAINWATCH_MODEL_PYTHON: '',
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('TRAIN_PYTHON_MISSING');
  }, 300_000);
});
