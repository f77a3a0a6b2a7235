import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CommandSpec, EXIT, type Invocation } from '../../core/index.js';
import type { ProvenanceConfig } from './config.js';
import { readProvenanceText } from './document.js';
import { ModelError, ProvenanceError } from './errors.js';
import { extractFeatures, FEATURES } from './features.js';
import { contextFor, MemoryHistoryStore, type RepoHistory } from './history.js';
import { loadModelFile } from './model.js';
import { normalizeProvenance } from './normalize.js';
import { OnnxRuntime } from './runtime.js';
import { type ScoreItem, scoreBatch } from './scorer.js';

/**
 * `chainwatch provenance score FILE... [--model M] [--history H] [--json]`: one line (or JSON
 * object) per document with score, verdict and reasons. Exit 0 all normal, 1 any anomalous,
 * 2 any input unreadable (the readable ones are still scored and printed).
 * `chainwatch provenance explain FILE [--history H] [--json]`: the feature vector.
 * --history names a JSON file {repos, subjects} (the shape MemoryHistoryStore.toJSON writes) that
 * the first-seen and change features are computed against; without it every document is a first release.
 */
// tsc does not copy the model into dist/: from the build, look in the source tree beside it.
export const DEFAULT_MODEL =
  [join(import.meta.dirname, 'model', 'default.onnx'), join(import.meta.dirname, '..', '..', '..', 'detectors', 'provenance', 'model', 'default.onnx')].find(
    (p) => existsSync(p),
  ) ?? join(import.meta.dirname, 'model', 'default.onnx');

const historyOption = {
  type: 'string',
  placeholder: 'FILE',
  description: 'history JSON ({repos, subjects}) the first-seen features are computed against',
} as const;

async function loadHistory(path: string | undefined): Promise<MemoryHistoryStore> {
  if (path === undefined) return new MemoryHistoryStore();
  const raw = JSON.parse(await readFile(path, 'utf8')) as { repos?: Record<string, RepoHistory>; subjects?: Record<string, string> };
  return new MemoryHistoryStore(raw.repos ?? {}, raw.subjects ?? {});
}

type Read = { file: string; item: ScoreItem } | { file: string; error: string; code: string };

async function readItems(files: readonly string[], history: MemoryHistoryStore, trusted: readonly string[]): Promise<Read[]> {
  const out: Read[] = [];
  for (const file of files) {
    try {
      const provenance = normalizeProvenance(readProvenanceText(await readFile(file)));
      const ctx = await contextFor(history, provenance);
      out.push({ file, item: { provenance, history: ctx, features: extractFeatures(provenance, ctx, trusted) } });
    } catch (e) {
      const code = e instanceof ProvenanceError ? e.code : ((e as NodeJS.ErrnoException).code ?? 'UNREADABLE');
      out.push({ file, error: e instanceof Error ? e.message : String(e), code });
    }
  }
  return out;
}

export const provenanceScoreCommand: CommandSpec<ProvenanceConfig | undefined> = {
  name: 'provenance score',
  summary: 'Score provenance documents (SLSA in DSSE, Sigstore bundles, npm/Cloud Build documents) against the anomaly model',
  args: [{ name: 'FILE', description: 'provenance documents', variadic: true }],
  options: {
    model: { type: 'string', placeholder: 'M.onnx', description: 'model file (metadata beside it as M.json); default: the shipped model' },
    history: historyOption,
  },
  json: true,
  description: 'Exit 0: all normal; 1: any anomalous; 2: any input unreadable. See docs/provenance.md.',
  async run(inv: Invocation<ProvenanceConfig | undefined>) {
    const modelPath = (inv.options.model as string | undefined) ?? inv.section?.model ?? DEFAULT_MODEL;
    let model;
    try {
      model = await loadModelFile(new OnnxRuntime(), modelPath);
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      inv.io.err(`provenance: model ${modelPath} not usable (${e.code}): ${e.message}`);
      return EXIT.usage;
    }
    try {
      const read = await readItems(inv.args, await loadHistory(inv.options.history as string | undefined), inv.section?.trustedBuilders ?? []);
      const ok = read.filter((r): r is Extract<Read, { item: ScoreItem }> => 'item' in r);
      const verdicts = await scoreBatch(
        model,
        ok.map((r) => r.item),
      );
      let anomalous = false;
      let unreadable = false;
      for (const r of read) {
        if ('error' in r) {
          unreadable = true;
          inv.io.out(
            inv.json ? JSON.stringify({ file: r.file, verdict: 'unreadable', code: r.code, error: r.error }) : `${r.file}: unreadable (${r.code}) ${r.error}`,
          );
          continue;
        }
        const v = verdicts[ok.indexOf(r)]!;
        anomalous ||= v.anomalous;
        const verdict = v.anomalous ? 'anomalous' : 'normal';
        inv.io.out(
          inv.json
            ? JSON.stringify({
                file: r.file,
                verdict,
                score: v.score,
                threshold: v.threshold,
                modelVersion: v.modelVersion,
                rules: v.rules,
                reasons: v.reasons,
                contributions: v.contributions,
              })
            : `${r.file}: ${verdict} score=${v.score?.toFixed(4)} threshold=${v.threshold?.toFixed(4)}${v.reasons.length > 0 ? ` — ${v.reasons.join('; ')}` : ''}`,
        );
      }
      return unreadable ? EXIT.usage : anomalous ? EXIT.failed : EXIT.ok;
    } finally {
      await model.release();
    }
  },
};

export const provenanceExplainCommand: CommandSpec<ProvenanceConfig | undefined> = {
  name: 'provenance explain',
  summary: 'Print the normalised facts and the feature vector of one provenance document',
  args: [{ name: 'FILE', description: 'provenance document' }],
  options: { history: historyOption },
  json: true,
  description: 'Exit 2 when the document cannot be read. See docs/provenance.md for every feature.',
  async run(inv: Invocation<ProvenanceConfig | undefined>) {
    const [r] = await readItems(inv.args.slice(0, 1), await loadHistory(inv.options.history as string | undefined), inv.section?.trustedBuilders ?? []);
    if (r === undefined || 'error' in r) {
      inv.io.err(`provenance: ${r?.file ?? '?'} unreadable (${r && 'code' in r ? r.code : '?'})`);
      return EXIT.usage;
    }
    const { signer, ...facts } = r.item.provenance;
    const features = Object.fromEntries(FEATURES.map((n, i) => [n, r.item.features[i]]));
    if (inv.json) inv.io.out(JSON.stringify({ file: r.file, facts: { ...facts, signer: signer?.san ?? signer?.fingerprintSha256 }, features }));
    else for (const [n, v] of Object.entries(features)) inv.io.out(`${n.padEnd(26)} ${v}`);
    return EXIT.ok;
  },
};
