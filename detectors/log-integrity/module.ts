import { configFingerprint, defineModule } from '../../core/index.js';
import { logIntegrityConfigSchema } from './config.js';
import { LogIntegrityDetector } from './detector.js';

/** `detectors.logIntegrity`: checkpoint consistency, split views, stale and rewound logs (docs/detectors.md). */
export const logIntegrityModule = defineModule({
  id: 'detectors.logIntegrity',
  summary: 'Turns transparency-log checkpoints and anomalies into findings: forks, split views, stalls, rewinds',
  section: { group: 'detectors', key: 'logIntegrity', schema: logIntegrityConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled !== false
      ? [{ name: 'detector.log-integrity', kind: 'detector', fingerprint: configFingerprint(cfg), create: (ctx) => new LogIntegrityDetector(cfg, ctx) }]
      : [],
});
