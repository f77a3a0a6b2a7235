import { z } from 'zod';
import { SEVERITIES } from '../../core/index.js';
import { parsePattern } from './names.js';

/**
 * Configuration of the ct-watch detector (`detectors.ctWatch`): what to watch in the audited CT
 * entries the CT collector publishes, and which certificates are expected. Every pattern is
 * checked here, so a typo fails the config check with its key path instead of never matching.
 */
const hex64 = z
  .string()
  .transform((s) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^sha256:/, '')
      .replaceAll(':', ''),
  )
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex (64 digits, optionally sha256: or colon-separated)'));

const pattern = z.string().refine((s) => parsePattern(s) !== undefined, {
  message: 'not a DNS name or pattern: use example.com (exact), .example.com (subtree) or *.example.com (one label); IDNs in either form',
});

const text = z.string().trim().min(1);

const allowEntry = z
  .object({
    /** Shown in logs and in the sightings cert-expiry records ("our ACME account"). */
    name: text,
    /** SHA-256 of the certificate's SubjectPublicKeyInfo: every certificate for that key. */
    spkiSha256: hex64.optional(),
    /** SHA-256 of one certificate's DER, or its CT identity (`inspect cert` prints both; the identity also covers its precertificate). */
    certSha256: hex64.optional(),
    /** Issuer: matches the issuer's CN, O or whole DN (case-insensitive). With `names`. */
    issuer: text.optional(),
    /** Every DNS name in the certificate must match one of these patterns. With `issuer`. */
    names: z.array(pattern).min(1).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const byIssuer = a.issuer !== undefined || a.names !== undefined;
    if (byIssuer && (a.issuer === undefined || a.names === undefined)) {
      ctx.addIssue({ code: 'custom', path: [a.issuer === undefined ? 'issuer' : 'names'], message: 'issuer and names go together' });
    }
    if (!byIssuer && a.spkiSha256 === undefined && a.certSha256 === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'set spkiSha256, certSha256, or issuer with names' });
    }
  });

export const ctWatchConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    group: z.string().min(1).default('detector.ct-watch'),
    source: z.string().min(1).default('chainwatch://detectors/ct-watch'),
    /** Namespace of this detector's keys in the StateStore (certificates already reported). */
    stateKeyPrefix: z.string().min(1).default('ct-watch'),
    watch: z
      .object({
        /** DNS names and patterns (see docs/certificates.md). */
        dnsNames: z.array(pattern).default([]),
        /** Subject organisation (O) names, case-insensitive. */
        organizations: z.array(text).default([]),
        /** Issuing CAs by name: the issuer's CN, O or whole DN, case-insensitive. */
        issuers: z.array(text).default([]),
        /** Issuing CAs by key: SHA-256 of the issuer's SubjectPublicKeyInfo. */
        issuerKeys: z.array(hex64).default([]),
      })
      .strict()
      .prefault({}),
    allow: z.array(allowEntry).default([]),
    severity: z
      .object({
        unexpected: z.enum(SEVERITIES).default('high'),
        malformed: z.enum(SEVERITIES).default('high'),
      })
      .strict()
      .prefault({}),
    /** Certificate search by SHA-256 for the finding's link; {sha256} is replaced. */
    searchUrl: z
      .string()
      .refine((s) => s.includes('{sha256}') && URL.canParse(s.replace('{sha256}', '0')), 'a URL containing {sha256}')
      .default('https://crt.sh/?q={sha256}'),
    /** Raw certificate bytes carried by a malformed-certificate finding, at most. */
    maxEvidenceBytes: z.number().int().positive().max(1_000_000).default(65_536),
  })
  .strict()
  .superRefine((c, ctx) => {
    const w = c.watch;
    if (w.dnsNames.length + w.organizations.length + w.issuers.length + w.issuerKeys.length === 0 && c.enabled) {
      ctx.addIssue({ code: 'custom', path: ['watch'], message: 'nothing to watch: set dnsNames, organizations, issuers or issuerKeys' });
    }
  });

export type CtWatchConfig = z.output<typeof ctWatchConfigSchema>;
export type CtWatchConfigInput = z.input<typeof ctWatchConfigSchema>;
export type AllowEntry = CtWatchConfig['allow'][number];
