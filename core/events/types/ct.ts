import { z } from 'zod';
import { defineEventType } from '../registry.js';

/**
 * A Certificate Transparency log entry the CT collector fetched AND audited: the downloaded entries
 * rebuilt the tree and matched a signed tree head whose signature verified, before this event was
 * published (nothing unaudited is ever published with this type). Certificates travel as DER, not
 * parsed: detectors parse them with trust's X.509 parser, so that a certificate that does not parse
 * still reaches the watchlist as raw bytes (a malformed-certificate finding), never a dropped entry.
 * subject = "sha256:<hex>" of the logged certificate's DER (the precertificate for precert entries),
 * so every sighting of one certificate across logs stays ordered under one key.
 */
export const CT_ENTRY_TYPES = ['x509', 'precert'] as const;
export type CtEntryType = (typeof CT_ENTRY_TYPES)[number];

export const CT_LOG_APIS = ['rfc6962', 'static'] as const;
export type CtLogApi = (typeof CT_LOG_APIS)[number];

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');

export const ctEntrySchema = z.object({
  log: z.object({
    /** RFC 6962 LogID: base64 SHA-256 of the log's DER public key (as in the log list v3). */
    logId: b64.min(1),
    url: z.string().min(1),
    api: z.enum(CT_LOG_APIS),
    description: z.string().optional(),
    operator: z.string().optional(),
  }),
  index: z.number().int().nonnegative(),
  /** RFC 6962 leaf hash of the MerkleTreeLeaf, lowercase hex. */
  leafHash: hex64,
  /** TimestampedEntry.timestamp (the SCT time), ISO 8601. */
  timestamp: z.iso.datetime({ offset: true }),
  entryType: z.enum(CT_ENTRY_TYPES),
  /**
   * DER of the logged certificate: the leaf for x509 entries; for precert entries the
   * precertificate from the extra data when the log serves it (RFC 6962 get-entries, Static CT
   * data tiles both do), which carries the poison extension.
   */
  certDer: b64.min(1),
  /** SHA-256 of certDer, lowercase hex (the subject, without the "sha256:" prefix). */
  certSha256: hex64,
  /** Precert entries: the TBSCertificate as logged (poison and SCT list removed). */
  precertTbsDer: b64.optional(),
  /** Precert entries: SHA-256 of the issuer's SubjectPublicKeyInfo, lowercase hex. */
  issuerKeyHash: hex64.optional(),
  /** The chain as logged, leaf's issuer first, DER each (empty when the log gives none). */
  chainDer: z.array(b64.min(1)).max(16).default([]),
  verification: z.object({
    audited: z.literal(true),
    /** The signed tree head the entries were audited against. */
    treeHead: z.object({ size: z.number().int().positive(), rootHash: b64.min(1) }),
  }),
});
export type CtEntry = z.output<typeof ctEntrySchema>;

export const CtEntryEvent = defineEventType({
  type: 'dev.chainwatch.ct.entry.v1',
  family: 'ct',
  description: 'An audited Certificate Transparency entry: log, index, leaf hash, entry type, certificate and chain as DER.',
  subject: 'sha256:<hex> of the logged certificate DER',
  schema: ctEntrySchema,
});
