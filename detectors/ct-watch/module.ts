import { configFingerprint, defineModule } from '../../core/index.js';
import { ctWatchConfigSchema } from './config.js';
import { CtWatchDetector } from './detector.js';

/** `detectors.ctWatch`: certificates in CT logs for watched names, organisations and CAs; quiet on the allowlist. */
export const ctWatchModule = defineModule({
  id: 'detectors.ctWatch',
  summary: 'Matches every audited CT entry against a watchlist of DNS names, organisations and issuing CAs',
  section: { group: 'detectors', key: 'ctWatch', schema: ctWatchConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled !== false
      ? [{ name: 'detector.ct-watch', kind: 'detector', fingerprint: configFingerprint(cfg), create: (ctx) => new CtWatchDetector(cfg, ctx) }]
      : [],
});
