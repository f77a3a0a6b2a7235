import { z } from 'zod';
import { cronSchema, duration, SEVERITIES } from '../../core/index.js';

/**
 * Configuration of the cert-expiry detector (`detectors.certExpiry`): what goes into the
 * certificate inventory and when it is looked at. Each scan has its own cron expression
 * (node-cron syntax, optional seconds field), checked here so that a typo fails `config check`
 * with its key path instead of never running.
 */

const threshold = z.object({ within: duration({ min: 1 }), severity: z.enum(SEVERITIES) }).strict();

const endpoint = z
  .object({
    host: z.string().trim().min(1),
    port: z.number().int().min(1).max(65_535).default(443),
    /** SNI name sent in the handshake; default: host, when it is a DNS name. */
    servername: z.string().trim().min(1).optional(),
  })
  .strict();

export const certExpiryConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    group: z.string().min(1).default('detector.cert-expiry'),
    source: z.string().min(1).default('chainwatch://detectors/cert-expiry'),
    /** The inventory's SQLite file, relative to dataDir unless absolute. */
    inventoryFile: z.string().min(1).default('cert-inventory.sqlite'),
    /** Findings fire as a certificate comes within each threshold of its notAfter, one per threshold. */
    thresholds: z
      .array(threshold)
      .min(1)
      .default([
        { within: 30 * 86_400_000, severity: 'low' },
        { within: 14 * 86_400_000, severity: 'medium' },
        { within: 7 * 86_400_000, severity: 'high' },
        { within: 86_400_000, severity: 'critical' },
      ])
      .refine((t) => new Set(t.map((x) => x.within)).size === t.length, 'two thresholds with the same duration'),
    /** When the inventory is compared with the thresholds (also after every scan). */
    evaluate: z
      .object({ schedule: cronSchema('17 * * * *') })
      .strict()
      .prefault({}),
    /** Certificates sighted by ct-watch (dev.chainwatch.ct.watched_certificate.v1). */
    ct: z
      .object({ enabled: z.boolean().default(true) })
      .strict()
      .prefault({}),
    /**
     * Rotation dates of the key inventory (dev.chainwatch.keys.rotation_schedule.v1 from
     * keys.inventory): active and rotating keys page as their date nears, under rule key.rotation_due.
     */
    keys: z
      .object({ enabled: z.boolean().default(true) })
      .strict()
      .prefault({}),
    /** Code-signing (or any) certificates in files or directories, PEM or DER. */
    files: z
      .object({ paths: z.array(z.string().min(1)).default([]), schedule: cronSchema('*/15 * * * *') })
      .strict()
      .prefault({}),
    /**
     * The daemon's own HTTPS serving certificate (http.tls.cert, e.g. the admission webhook's), read
     * from its file: the certificate the listener serves, reloaded when the file changes.
     */
    serving: z
      .object({ enabled: z.boolean().default(true), schedule: cronSchema('*/10 * * * *') })
      .strict()
      .prefault({}),
    /** TLS endpoints: a handshake reads the chain the server presents. */
    tls: z
      .object({
        endpoints: z.array(endpoint).default([]),
        schedule: cronSchema('*/10 * * * *'),
        timeout: duration({ min: 1 }).prefault('10s'),
      })
      .strict()
      .prefault({}),
    /** Validity windows and CA certificates of a Sigstore trusted root (Fulcio, TSA, Rekor and CT log keys). */
    trustedRoot: z
      .object({
        /** none: off; production: TUF (offline: the embedded root); file: a trusted_root.json. */
        source: z.enum(['none', 'production', 'file']).default('none'),
        path: z.string().min(1).optional(),
        schedule: cronSchema('0 */6 * * *'),
      })
      .strict()
      .prefault({})
      .refine((t) => (t.source === 'file') === (t.path !== undefined), { message: 'path is required with source: file (and only then)', path: ['path'] }),
    /** TUF metadata files (root.json, targets.json, snapshot.json, timestamp.json), e.g. a TUF client's cache. */
    tuf: z
      .object({ paths: z.array(z.string().min(1)).default([]), schedule: cronSchema('0 * * * *') })
      .strict()
      .prefault({}),
  })
  .strict();

export type CertExpiryConfig = z.output<typeof certExpiryConfigSchema>;
export type CertExpiryConfigInput = z.input<typeof certExpiryConfigSchema>;
