import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * A certificate the ct-watch detector found matching its watchlist, expected (allowlisted) or not:
 * the certificate inventory (detectors/cert-expiry) tracks these for expiry, so that the
 * certificates an organisation depends on are watched without being listed twice. Published once
 * per certificate (not per log or per precert/final form): subject = "ct:<ctIdentity>".
 */
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');

export const ctWatchedCertificateSchema = z.object({
  /** SHA-256 of the TBSCertificate without CT poison and SCT list: one value for a precert and its certificate. */
  ctIdentity: hex64,
  /** SHA-256 of the DER that was logged (the precertificate for precert entries). */
  certSha256: hex64,
  entryType: z.enum(['x509', 'precert']),
  log: z.object({ url: z.string().min(1), logId: z.string().min(1) }),
  index: z.number().int().nonnegative(),
  subject: z.string(),
  issuer: z.string(),
  serialNumber: z.string().min(1),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  /** DNS names (SANs and DNS-shaped CNs) as the certificate writes them: SANs are A-labels, a CN may be a U-label. */
  dnsNames: z.array(z.string()).max(10_000),
  spkiSha256: hex64,
  /** The allowlist entry that expects it; absent for an unexpected certificate. */
  allowedBy: z.string().optional(),
  matchedBy: z.array(z.object({ kind: z.string(), watch: z.string(), value: z.string() })).min(1),
});
export type CtWatchedCertificate = z.output<typeof ctWatchedCertificateSchema>;

export const CtWatchedCertificateEvent = defineEventType({
  type: 'dev.chainwatch.ct.watched_certificate.v1',
  family: 'ct',
  description: 'A certificate from a CT log that matched the ct-watch watchlist (expected or not), once per certificate: names, issuer, validity, CT identity.',
  subject: 'ct:<ctIdentity hex>',
  schema: ctWatchedCertificateSchema,
});
