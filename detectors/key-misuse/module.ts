import { configFingerprint, defineModule } from '../../core/index.js';
import { keysRevocationsCommand, keysRevokeCommand } from './commands.js';
import { keyMisuseConfigSchema } from './config.js';
import { KeyMisuseDetector } from './detector.js';

/** `detectors.keyMisuse`: policy failures and key misuse (revoked, outside CI, cross-repository...); `chainwatch keys revoke`. */
export const keyMisuseModule = defineModule({
  id: 'detectors.keyMisuse',
  summary: 'Policy failures and key/identity misuse from registry verifications, Rekor entries and revocations',
  section: { group: 'detectors', key: 'keyMisuse', schema: keyMisuseConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled !== false
      ? [{ name: 'detector.key-misuse', kind: 'detector', fingerprint: configFingerprint(cfg), create: (ctx) => new KeyMisuseDetector(cfg, ctx) }]
      : [],
  commands: [keysRevokeCommand, keysRevocationsCommand],
});
