import { configFingerprint, defineModule } from '../../core/index.js';
import { workloadsConfigSchema } from './config.js';
import { WorkloadsDetector } from './detector.js';

/** `detectors.workloads`: findings for running workloads (unsigned, signature gone, signer revoked, admission bypassed) and their re-verification. */
export const workloadsModule = defineModule({
  id: 'detectors.workloads',
  summary: 'Judges running Kubernetes workloads against image checks, revocations and admission decisions; re-verifies running images',
  section: { group: 'detectors', key: 'workloads', schema: workloadsConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled
      ? [{ name: 'detector.workloads', kind: 'detector', fingerprint: configFingerprint(cfg), create: (ctx) => new WorkloadsDetector(cfg, ctx) }]
      : [],
});
