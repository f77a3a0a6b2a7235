import { configFingerprint, defineModule } from '../../core/index.js';
import { DEFAULT_MODEL, provenanceExplainCommand, provenanceScoreCommand } from './commands.js';
import { provenanceConfigSchema } from './config.js';
import { ProvenanceDetector } from './detector.js';
import { provenanceTrainCommand } from './train-command.js';

/** `detectors.provenance`: provenance anomaly scoring (component `detector.provenance`) and the `provenance score/explain/train` commands. */
export const provenanceModule = defineModule({
  id: 'detectors.provenance',
  summary: 'Scores SLSA provenance against a learnt model of normal releases (ONNX) plus known-bad rules',
  section: { group: 'detectors', key: 'provenance', schema: provenanceConfigSchema.optional() },
  // The model file is reloaded by the component itself (it polls its mtime): a changed model is
  // not a changed plan, and a bad one must never stop the component that holds the good one.
  components: (cfg) =>
    cfg && cfg.enabled !== false
      ? [
          {
            name: 'detector.provenance',
            kind: 'detector',
            fingerprint: configFingerprint(cfg),
            create: (ctx) => new ProvenanceDetector(cfg, ctx, cfg.model ?? DEFAULT_MODEL),
          },
        ]
      : [],
  commands: [provenanceScoreCommand, provenanceExplainCommand, provenanceTrainCommand],
});
