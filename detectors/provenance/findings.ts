import type { CloudEvent, Finding } from '../../core/index.js';
import { dedupKey, findingEvent } from '../shared/index.js';
import type { ProvenanceConfig } from './config.js';
import { FEATURE_SCHEMA_VERSION } from './features.js';
import type { ScoreInput } from './inputs.js';
import type { CurrentModel } from './model-watch.js';
import type { Provenance } from './normalize.js';
import { describeFeature } from './reasons.js';
import type { ScoreItem, Verdict } from './scorer.js';

/**
 * `provenance.anomalous`: one finding per anomalous document, whether the model's score or a
 * floor rule (or both) made it anomalous; the floor rules that fired are in `evidence.rules`.
 * dedupKey = rule|digest|predicateType, so a re-verification of the same digest alerts once; the
 * id derives from the causing event, so a redelivered event repeats the same finding id.
 */
export const DETECTOR = 'provenance';
export const RULE = 'provenance.anomalous';

export function anomalousFinding(
  cfg: ProvenanceConfig,
  src: ScoreInput,
  item: ScoreItem,
  v: Verdict,
  model: CurrentModel | undefined,
  observedAt: Date,
): CloudEvent<Finding> {
  const p: Provenance = item.provenance;
  const reasons = v.reasons.length > 0 ? v.reasons : ['the anomaly score is above the model threshold'];
  const what = p.sourceRepo ?? p.subjects[0] ?? src.subject;
  const scoreText = v.score !== undefined ? `score ${v.score.toFixed(4)} > threshold ${v.threshold?.toFixed(4)}` : 'no model loaded: rule floor only';
  return findingEvent(
    {
      detector: DETECTOR,
      rule: RULE,
      severity: cfg.severity,
      category: 'security',
      dedupKey: dedupKey(RULE, src.digest, src.predicateType),
      summary: `Anomalous build provenance for ${src.subject}: ${reasons[0]}`,
      description:
        `The SLSA provenance of ${src.subject} (source ${what}, builder ${p.builderId}) does not look like this repository's ` +
        `earlier releases: ${reasons.join('; ')}. ${v.rules.length > 0 ? `Rules: ${v.rules.join(', ')}. ` : ''}(${scoreText}.)`,
      subject: src.subject,
      evidence: {
        score: v.score ?? null,
        threshold: v.threshold ?? null,
        modelVersion: model?.model.version ?? null,
        modelSha256: model?.sha256 ?? null,
        featureSchemaVersion: FEATURE_SCHEMA_VERSION,
        rules: v.rules,
        reasons,
        topFeatures: v.contributions.map((c) => ({ feature: c.feature, delta: c.delta, words: describeFeature(c.feature, p, item.history) })),
        predicateType: src.predicateType,
        builderId: p.builderId,
        sourceRepo: p.sourceRepo ?? null,
      },
      causedBy: [src.eventId],
      observedAt: observedAt.toISOString(),
    },
    [src.eventId, src.predicateType],
    cfg.source,
  );
}
