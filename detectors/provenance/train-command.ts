import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type CommandSpec, EXIT, type Invocation, numberOption, UsageError } from '../../core/index.js';
import type { ProvenanceConfig } from './config.js';
import { ModelError, TrainError } from './errors.js';
import { loadModelFile } from './model.js';
import { OnnxRuntime } from './runtime.js';
import { featureLines, replayForTraining } from './training.js';

/**
 * `chainwatch provenance train --from-audit [--audit-db PATH] [--out DIR] [--python PY] [--trees N]`:
 * retrains the model from the organisation's own history. Steps:
 *   1. read the audit trail (audit-source.ts; default <data-dir>/audit/audit.db) in record order;
 *   2. replay it through the detector's own feature code (training.ts), leaving out the documents a
 *      provenance finding was raised for;
 *   3. run the pinned Python pipeline (tools/model/train.py; Python from --python or
 *      CHAINWATCH_MODEL_PYTHON, which `scripts/services/model-venv.sh start` prints) in a
 *      temporary directory beside --out;
 *   4. load the result exactly as the detector would (feature schema version and names, runtime,
 *      probe row) and only then move it into --out: model.onnx first, its metadata model.json last,
 *      so a detector polling DIR/model.onnx (hot reload) meets the new pair once the metadata lands
 *      (in between it may load the new graph with the old metadata, same schema: one poll interval).
 * Exit 0: model written; 1: too few documents or the model does not load; 2: usage, no Python, audit
 * trail unreadable; 3: the Python step failed.
 */
export const MIN_TRAINING_DOCUMENTS = 20;

const TRAIN_PY = [
  join(import.meta.dirname, '..', '..', 'tools', 'model', 'train.py'),
  // From dist/: the Python source is not compiled, it stays in the source tree.
  join(import.meta.dirname, '..', '..', '..', 'tools', 'model', 'train.py'),
].find((p) => existsSync(p));

function runPython(python: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
    child.on('error', (e) => fail(new TrainError('TRAIN_PYTHON_MISSING', `cannot run ${python}`, { cause: e })));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

async function train(inv: Invocation<ProvenanceConfig | undefined>): Promise<number> {
  if (inv.options['from-audit'] !== true) throw new UsageError('provenance train needs a source: --from-audit (the only one today)');
  const dataDir = inv.daemon!.dataDir;
  const auditDb = resolve((inv.options['audit-db'] as string | undefined) ?? join(dataDir, 'audit', 'audit.db'));
  const out = resolve((inv.options.out as string | undefined) ?? join(dataDir, 'provenance-model'));
  const trees = numberOption(inv.options, 'trees', { integer: true }) ?? 100;
  const python = (inv.options.python as string | undefined) ?? inv.io.env.CHAINWATCH_MODEL_PYTHON;
  if (python === undefined || python === '' || TRAIN_PY === undefined) {
    throw new TrainError(
      'TRAIN_PYTHON_MISSING',
      TRAIN_PY === undefined
        ? 'tools/model/train.py is not beside this installation'
        : 'no Python for the model pipeline: pass --python or set CHAINWATCH_MODEL_PYTHON (eval "$(scripts/services/model-venv.sh start)")',
    );
  }

  // Step 1-2: the audit trail, replayed through the detector's feature code.
  const { openAuditSource } = await import('./audit-source.js');
  const source = openAuditSource(auditDb);
  let replayed;
  try {
    replayed = await replayForTraining(source.events(), source.flaggedEventIds(), inv.section?.trustedBuilders ?? []);
  } finally {
    source.close();
  }
  const { rows, documents, excluded, unreadable, repositories } = replayed;
  inv.io.err(
    `provenance train: ${documents} provenance documents of ${repositories} repositories in ${auditDb}; ${excluded} left out (flagged), ${unreadable} unreadable`,
  );
  if (rows.length < MIN_TRAINING_DOCUMENTS) {
    throw new TrainError('TRAIN_TOO_FEW_DOCUMENTS', `${rows.length} documents to learn from; at least ${MIN_TRAINING_DOCUMENTS} are needed`);
  }

  // Step 3: the pinned Python pipeline, in a temporary directory beside the destination.
  await mkdir(dirname(out), { recursive: true });
  const tmp = await mkdtemp(`${out}.tmp-`);
  try {
    const lines = featureLines(rows);
    await writeFile(join(tmp, 'train.jsonl'), lines);
    const trainedOn = `audit trail ${auditDb}: ${rows.length} provenance documents of ${repositories} repositories, replayed in record order (${excluded} flagged by provenance findings left out)`;
    const r = await runPython(python, [TRAIN_PY, '--features', join(tmp, 'train.jsonl'), '--out', tmp, '--trained-on', trainedOn, '--trees', String(trees)]);
    if (r.code !== 0) throw new TrainError('TRAIN_FAILED', `train.py exited with ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);

    // Step 4: load it as the detector would; only a model that loads is installed.
    const model = await loadModelFile(new OnnxRuntime(), join(tmp, 'model.onnx'));
    const { threshold, schemaVersion, training } = model.metadata;
    const version = model.version;
    await model.release();
    await mkdir(out, { recursive: true });
    for (const f of ['train.jsonl', 'model.onnx', 'model.json']) await rename(join(tmp, f), join(out, f));
    const summary = {
      model: join(out, 'model.onnx'),
      version,
      schemaVersion,
      threshold,
      documents: training.documents,
      sha256: training.sha256,
      excluded,
      repositories,
    };
    inv.io.out(
      inv.json
        ? JSON.stringify(summary)
        : `${summary.model}: model ${version}, feature schema ${schemaVersion}, threshold ${threshold.toFixed(4)}, trained on ${training.documents} documents of ${repositories} repositories`,
    );
    return EXIT.ok;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export const provenanceTrainCommand: CommandSpec<ProvenanceConfig | undefined> = {
  name: 'provenance train',
  summary: "Retrain the provenance model from this deployment's own audit trail (Python pipeline, tools/model)",
  options: {
    'from-audit': { type: 'boolean', description: 'learn from the provenance documents recorded in the audit trail' },
    'audit-db': { type: 'string', placeholder: 'PATH', description: 'audit database (SQLite); default <data-dir>/audit/audit.db' },
    out: { type: 'string', placeholder: 'DIR', description: 'where model.onnx, model.json and train.jsonl go; default <data-dir>/provenance-model' },
    python: { type: 'string', placeholder: 'PY', description: 'Python of the pinned model venv; default $CHAINWATCH_MODEL_PYTHON' },
    trees: { type: 'string', placeholder: 'N', description: 'IsolationForest trees (default 100)' },
  },
  json: true,
  config: true,
  description:
    'Exit 0: model written and loaded; 1: too few documents or the model does not load; 2: usage, no Python, audit trail unreadable; 3: the Python step failed. ' +
    'Point detectors.provenance.model at DIR/model.onnx (reloaded while running). See docs/provenance.md.',
  async run(inv) {
    try {
      return await train(inv);
    } catch (e) {
      if (e instanceof TrainError) {
        inv.io.err(`provenance train: ${e.code}: ${e.message}`);
        switch (e.code) {
          case 'TRAIN_TOO_FEW_DOCUMENTS':
            return EXIT.failed;
          case 'TRAIN_AUDIT_UNREADABLE':
          case 'TRAIN_PYTHON_MISSING':
            return EXIT.usage;
          case 'TRAIN_FAILED':
            return EXIT.aborted;
        }
      }
      if (e instanceof ModelError) {
        inv.io.err(`provenance train: the trained model does not load (${e.code}): ${e.message}`);
        return EXIT.failed;
      }
      throw e;
    }
  },
};
