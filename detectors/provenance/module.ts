import { defineModule } from '../../core/index.js';
import { provenanceExplainCommand, provenanceScoreCommand } from './commands.js';
import { provenanceConfigSchema } from './config.js';

/** `detectors.provenance`: provenance anomaly scoring. For now its commands; the bus-fed component is the next step (docs/provenance.md). */
export const provenanceModule = defineModule({
  id: 'detectors.provenance',
  summary: 'Scores SLSA provenance against a learnt model of normal releases (ONNX) plus known-bad rules',
  section: { group: 'detectors', key: 'provenance', schema: provenanceConfigSchema.optional() },
  commands: [provenanceScoreCommand, provenanceExplainCommand],
});
