import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  readProvenanceText,
  extractFeatures,
  loadModelFile,
  normalizeProvenance,
  OnnxRuntime,
  scoreBatch,
  type ScoreItem,
  type Verdict,
} from '../../detectors/provenance/index.js';
import { ANOMALY_KINDS, generateCorpus, type Sample } from './corpus.js';
import { confusion, rocAuc } from './metrics.js';
import { loadTemplates } from './templates.js';

/**
 * The labelled evaluation: held-out synthetic repositories (split "eval", its own seed, so no
 * repository, name or release overlaps training) with one anomaly of each kind after each history,
 * plus the real documents of ../shared/realdata scored without history. Prints a markdown table
 * (docs/provenance.md "Evaluation").
 *   tsx tools/model/evaluate.ts --model M.onnx [--repos 60] [--releases 24] [--realdata PATH] [--json]
 */
export const EVAL = { split: 'eval', seed: 90210 } as const;

/** Real documents the upstream suites expect to verify: normal releases, never trained on. */
export const REAL_NORMAL = [
  'annotated-tag.intoto.jsonl',
  'binary-linux-amd64-multi-subject-first.intoto.jsonl',
  'binary-linux-amd64-sharded.intoto.jsonl',
  'workflow-inputs.intoto.jsonl',
  'bundle/valid-v0.3.intoto.sigstore',
  'gcb_container/v0.3/gcloud-container-github.json',
  'gha_container-based/v1.10.0/binary-linux-amd64-workflow_dispatch.intoto.build.slsa',
  'gha_delegator/v2.0.0/binary-linux-amd64-workflow_dispatch.build.slsa',
  'gha_generic/v1.2.1/binary-linux-amd64-push-v13.0.30.intoto.jsonl',
  'gha_generic/v1.2.1/binary-linux-amd64-workflow_dispatch.intoto.jsonl',
  'gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl',
  'gha_go/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl',
  'github-attestation/MODULE.bazel.intoto.jsonl',
  'npm/npm-attestations.intoto.sigstore',
  'npm/provenance-npm-test-cli-v1-prega.tgz.json',
  'npm/supreme-googles-cli-v02-tag.tgz.json',
].map((f) => `slsa/slsa-verifier/${f}`);

/** Real documents that are anomalous by construction upstream (a forked builder, a signer of another repository). */
export const REAL_ANOMALOUS = [
  'slsa/slsa-verifier/fail/binary-linux-amd64-untrusted-builder.intoto.jsonl',
  'slsa/slsa-verifier/github-attestation/MODULE-wrong-signer.bazel.intoto.jsonl',
  // Upstream verifies it, but its builder is a developer's own test builder (asraa/slsa-on-github), not a trusted one.
  'slsa/slsa-verifier/bundle/attestation.intoto.sigstore',
];

export function realItems(realdata: string, files: readonly string[]): ScoreItem[] {
  return files.map((f) => {
    const provenance = normalizeProvenance(readProvenanceText(readFileSync(join(realdata, f))));
    const history = { repo: undefined, subjectRepo: undefined };
    return { provenance, history, features: extractFeatures(provenance, history) };
  });
}

export interface KindRow {
  kind: string;
  n: number;
  /** ROC-AUC of the model score alone, and of the detector's ranking (floor rule hit first, then score). */
  modelAuc: number;
  auc: number;
  precision: number;
  recall: number;
}

export interface Evaluation {
  rows: KindRow[];
  overallAuc: number;
  normals: number;
  falseAlarmsSynthetic: number;
  realNormal: { file: string; anomalous: boolean; score: number | undefined }[];
  realAnomalous: { file: string; anomalous: boolean; score: number | undefined; reasons: string[] }[];
}

export async function evaluate(modelPath: string, realdata: string, repos = 60, releases = 24): Promise<Evaluation> {
  const model = await loadModelFile(new OnnxRuntime(), modelPath);
  try {
    const samples: Sample[] = await generateCorpus(loadTemplates(realdata), { ...EVAL, repos, releases, anomalies: true });
    const items: ScoreItem[] = samples.map((s) => {
      const provenance = normalizeProvenance(s.doc);
      return { provenance, history: { repo: undefined, subjectRepo: undefined }, features: s.features };
    });
    const verdicts = await scoreBatch(model, items);
    const score = (v: Verdict) => (v.score ?? 0) + (v.rules.length > 0 ? 10 : 0);
    const neg = samples.flatMap((s, i) => (s.label === 'normal' ? [verdicts[i]!] : []));
    const rows: KindRow[] = ANOMALY_KINDS.map((kind) => {
      const pos = samples.flatMap((s, i) => (s.label === kind ? [verdicts[i]!] : []));
      const c = confusion(
        pos.map((v) => v.anomalous),
        neg.map((v) => v.anomalous),
      );
      const raw = (v: Verdict) => v.score ?? 0;
      return {
        kind,
        n: pos.length,
        modelAuc: rocAuc(pos.map(raw), neg.map(raw)),
        auc: rocAuc(pos.map(score), neg.map(score)),
        precision: c.precision,
        recall: c.recall,
      };
    });
    const allPos = samples.flatMap((s, i) => (s.label !== 'normal' ? [score(verdicts[i]!)] : []));
    const realN = await scoreBatch(model, realItems(realdata, REAL_NORMAL));
    const realA = await scoreBatch(model, realItems(realdata, REAL_ANOMALOUS));
    return {
      rows,
      overallAuc: rocAuc(allPos, neg.map(score)),
      normals: neg.length,
      falseAlarmsSynthetic: neg.filter((v) => v.anomalous).length,
      realNormal: REAL_NORMAL.map((file, i) => ({ file, anomalous: realN[i]!.anomalous, score: realN[i]!.score })),
      realAnomalous: REAL_ANOMALOUS.map((file, i) => ({ file, anomalous: realA[i]!.anomalous, score: realA[i]!.score, reasons: realA[i]!.reasons })),
    };
  } finally {
    await model.release();
  }
}

export function markdown(e: Evaluation): string {
  const f = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(3));
  const lines = ['| anomaly kind | injected | ROC-AUC (model alone) | ROC-AUC (detector) | precision | recall |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of e.rows) lines.push(`| ${r.kind} | ${r.n} | ${f(r.modelAuc)} | ${f(r.auc)} | ${f(r.precision)} | ${f(r.recall)} |`);
  lines.push(`| **all kinds** | ${e.rows.reduce((a, r) => a + r.n, 0)} | | **${f(e.overallAuc)}** | | |`);
  lines.push('', `Normal held-out synthetic releases: ${e.normals}, false alarms: ${e.falseAlarmsSynthetic}.`);
  lines.push(`Real normal documents: ${e.realNormal.length}, false alarms: ${e.realNormal.filter((r) => r.anomalous).length}.`);
  for (const r of e.realAnomalous) lines.push(`Real anomalous \`${r.file}\`: ${r.anomalous ? 'flagged' : 'NOT flagged'} (${r.reasons.join('; ')}).`);
  return lines.join('\n') + '\n';
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const argv = process.argv.slice(2);
  const arg = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
  const realdata = resolve(arg('--realdata', process.env.CHAINWATCH_REALDATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'realdata')));
  evaluate(resolve(arg('--model', 'detectors/provenance/model/default.onnx')), realdata, Number(arg('--repos', '60')), Number(arg('--releases', '24')))
    .then((e) => process.stdout.write(argv.includes('--json') ? JSON.stringify(e, null, 2) + '\n' : markdown(e)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
