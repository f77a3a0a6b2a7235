import { configFingerprint, defineModule } from '../../core/index.js';
import { identityWatchConfigSchema } from './config.js';
import { IdentityWatchDetector } from './detector.js';

/** `detectors.identityWatch`: pages on signatures by unexpected identities, stays quiet on expected releases. */
export const identityWatchModule = defineModule({
  id: 'detectors.identityWatch',
  summary: 'Matches every signer seen in the logs against the identity policy (rules/identity)',
  section: { group: 'detectors', key: 'identityWatch', schema: identityWatchConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled !== false
      ? [{ name: 'detector.identity-watch', kind: 'detector', fingerprint: configFingerprint(cfg), create: (ctx) => new IdentityWatchDetector(cfg, ctx, {}) }]
      : [],
});
