import { type FeatureName, featureIndex, FEATURES } from './features.js';
import type { HistoryContext } from './history.js';
import type { LoadedModel } from './model.js';
import type { Provenance } from './normalize.js';
import { describeFeature } from './reasons.js';
import { floorHits } from './rules.js';

/**
 * Scores documents in batches: one inference call for the batch, then, for the anomalous ones
 * only, one more call that explains them (each feature replaced in turn by its training median:
 * the features whose replacement lowers the score most are the top contributing features).
 * Anomalous = score above the model's calibrated threshold, or a floor rule fired (rules.ts).
 * Without a model only the floor decides and `score` is undefined.
 */
export interface ScoreItem {
  provenance: Provenance;
  history: HistoryContext;
  features: Float32Array;
}

export interface Verdict {
  anomalous: boolean;
  score: number | undefined;
  threshold: number | undefined;
  modelVersion: string | undefined;
  /** Floor rule ids that fired. */
  rules: string[];
  /** Reasons in words, strongest first (floor rules, then top model contributions). */
  reasons: string[];
  /** Top contributing features (model attribution), strongest first. */
  contributions: { feature: FeatureName; delta: number }[];
}

/** Context features: they shift the score but say nothing a person can act on. */
const SILENT: ReadonlySet<FeatureName> = new Set(['history_log', 'time_known', 'days_since_previous_log']);
const TOP = 3;

export async function scoreBatch(model: LoadedModel | undefined, items: readonly ScoreItem[]): Promise<Verdict[]> {
  const width = FEATURES.length;
  let scores: Float32Array | undefined;
  if (model && items.length > 0) {
    const batch = new Float32Array(items.length * width);
    items.forEach((it, i) => batch.set(it.features, i * width));
    scores = await model.score(batch, items.length);
  }
  const verdicts: Verdict[] = items.map((it, i) => {
    const hits = floorHits(it.features, featureIndex);
    const score = scores?.[i];
    const overModel = score !== undefined && model !== undefined && score > model.metadata.threshold;
    return {
      anomalous: overModel || hits.length > 0,
      score,
      threshold: model?.metadata.threshold,
      modelVersion: model?.version,
      rules: hits.map((h) => h.id),
      reasons: hits.map((h) => describeFeature(h.feature, it.provenance, it.history)),
      contributions: [],
    };
  });
  if (model && scores) await explain(model, items, verdicts, scores);
  return verdicts;
}

async function explain(model: LoadedModel, items: readonly ScoreItem[], verdicts: Verdict[], scores: Float32Array): Promise<void> {
  const width = FEATURES.length;
  const medians = model.metadata.medians;
  const todo = items.map((it, i) => ({ it, i })).filter(({ i }) => verdicts[i]!.anomalous);
  const rows: { doc: number; feature: number }[] = [];
  for (const { it, i } of todo) for (let f = 0; f < width; f++) if (it.features[f] !== medians[f]) rows.push({ doc: i, feature: f });
  if (rows.length === 0) return;
  const batch = new Float32Array(rows.length * width);
  rows.forEach((r, k) => {
    batch.set(items[r.doc]!.features, k * width);
    batch[k * width + r.feature] = medians[r.feature]!;
  });
  const out = await model.score(batch, rows.length);
  const byDoc = new Map<number, { feature: FeatureName; delta: number }[]>();
  rows.forEach((r, k) => {
    const delta = scores[r.doc]! - out[k]!;
    if (delta > 0 && !SILENT.has(FEATURES[r.feature]!)) byDoc.set(r.doc, [...(byDoc.get(r.doc) ?? []), { feature: FEATURES[r.feature]!, delta }]);
  });
  for (const [doc, list] of byDoc) {
    const v = verdicts[doc]!;
    const it = items[doc]!;
    v.contributions = list.sort((a, b) => b.delta - a.delta).slice(0, TOP);
    for (const c of v.contributions) {
      const words = describeFeature(c.feature, it.provenance, it.history);
      if (!v.reasons.includes(words)) v.reasons.push(words);
    }
  }
}
