import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { featureLines as vectorLines } from '../../detectors/provenance/index.js';
import { generateCorpus, type Sample } from './corpus.js';
import { loadTemplates } from './templates.js';

/**
 * The model pipeline end to end: generate the training corpus from the real templates, extract
 * features with the detector's own code, train and export with Python (tools/model/train.py in the
 * pinned venv of scripts/services/model-venv.sh, named by CHAINWATCH_MODEL_PYTHON).
 *
 *   tsx tools/model/pipeline.ts --out DIR [--repos 300] [--releases 24] [--realdata PATH]
 *
 * Writes DIR/train.jsonl, DIR/model.onnx and its metadata DIR/model.json. The shipped default model
 * (detectors/provenance/model/) was made with the defaults: see docs/provenance.md.
 */
export const TRAIN = { split: 'train', seed: 1307 } as const;

/** train.py's input (the one format, detectors/provenance/training.ts) for generated samples. */
export const featureLines = (samples: readonly Sample[]): string => vectorLines(samples.map((s) => s.features));

export function runTrain(python: string, features: string, out: string, trainedOn: string, extra: string[] = []): string {
  const r = spawnSync(python, [join(import.meta.dirname, 'train.py'), '--features', features, '--out', out, '--trained-on', trainedOn, ...extra], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`train.py failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

async function main(argv: string[]): Promise<void> {
  const arg = (k: string, d: string) => {
    const i = argv.indexOf(k);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : d;
  };
  const out = resolve(arg('--out', 'tools/model/out'));
  const repos = Number(arg('--repos', '300'));
  const releases = Number(arg('--releases', '24'));
  const realdata = resolve(arg('--realdata', process.env.CHAINWATCH_REALDATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'realdata')));
  const python = process.env.CHAINWATCH_MODEL_PYTHON;
  if (!python) throw new Error('CHAINWATCH_MODEL_PYTHON is unset: run `eval "$(scripts/services/model-venv.sh start)"` first');
  mkdirSync(out, { recursive: true });
  const samples = await generateCorpus(loadTemplates(realdata), { ...TRAIN, repos, releases, anomalies: false });
  writeFileSync(join(out, 'train.jsonl'), featureLines(samples));
  const trainedOn = `synthetic corpus: ${repos} repositories x ${releases} releases (split "${TRAIN.split}", seed ${TRAIN.seed}) rendered from the real SLSA templates in shared/realdata (slsa-verifier testdata: gha_generic v0.2, npm v1, GitHub attestation v1, Cloud Build v0.1) and a GitLab v1 template from GitLab's public format; no real document and no evaluation repository`;
  process.stdout.write(runTrain(python, join(out, 'train.jsonl'), out, trainedOn));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
