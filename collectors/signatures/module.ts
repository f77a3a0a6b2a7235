import { configFingerprint, defineModule } from '../../core/index.js';
import { SignaturesCollector } from './collector.js';
import { signaturesConfigSchema } from './config.js';

/** `collectors.signatures`: signatures, attestations and policy verdicts of every pushed or requested image digest. */
export const signaturesModule = defineModule({
  id: 'collectors.signatures',
  summary: 'Discovers and verifies the signatures and attestations of pushed image digests (cosign tags, OCI referrers) and publishes one verdict per digest',
  section: { group: 'collectors', key: 'signatures', schema: signaturesConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled
      ? [{ name: 'collector.signatures', kind: 'collector', fingerprint: configFingerprint(cfg), create: (ctx) => new SignaturesCollector(cfg, ctx) }]
      : [],
});
