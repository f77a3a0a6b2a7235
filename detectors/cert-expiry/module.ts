import { configFingerprint, defineModule } from '../../core/index.js';
import { certsListCommand } from './commands.js';
import { certExpiryConfigSchema } from './config.js';
import { CertExpiryDetector } from './detector.js';

/** `detectors.certExpiry`: the certificate inventory and its expiry thresholds; `chainwatch certs list`. */
export const certExpiryModule = defineModule({
  id: 'detectors.certExpiry',
  summary: 'Certificate inventory (CT sightings, files, TLS endpoints, trusted root, TUF metadata) with expiry findings',
  section: { group: 'detectors', key: 'certExpiry', schema: certExpiryConfigSchema.optional() },
  components: (cfg, host) =>
    cfg && cfg.enabled !== false
      ? [
          {
            name: 'detector.cert-expiry',
            kind: 'detector',
            fingerprint: configFingerprint({ cfg, serving: host.servingCertificate ?? null }),
            create: (ctx) => new CertExpiryDetector(cfg, ctx, { servingCertificate: host.servingCertificate }),
          },
        ]
      : [],
  commands: [certsListCommand],
});
