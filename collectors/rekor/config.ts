import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { logFollowerFields } from '../shared/log-collector/index.js';

/**
 * Configuration of one followed log. `publicKey` is the log's checkpoint/SET key as PEM (SPKI);
 * the daemon fills it from the trusted root (trust/ logKeys) when the config names none.
 */
export const rekorCollectorConfigSchema = z.strictObject({
  /** Base URL: Rekor v1 (https://rekor.sigstore.dev) or a tile log prefix (…/api/v2). */
  url: z.url(),
  kind: z.enum(['v1', 'tiles']).default('v1'),
  /** Expected checkpoint origin line; when set, any other origin is refused. */
  origin: z.string().min(1).optional(),
  /** Log public key, PEM SPKI (ECDSA P-256 or Ed25519; other curves are refused with KEY_UNSUPPORTED). */
  publicKey: z.string().includes('BEGIN PUBLIC KEY').refine(parsesAsPublicKey, 'not a PEM public key (SubjectPublicKeyInfo)'),
  start: logFollowerFields.start,
  pollInterval: logFollowerFields.pollInterval,
  /** Entries per fetched batch (v1 requests are split into retrieve calls of at most 10). */
  batchSize: z.number().int().min(1).max(1000).default(50),
  concurrency: logFollowerFields.concurrency,
  rateLimit: logFollowerFields.rateLimit,
  /** Largest response body accepted (bytes); larger ones fail with HTTP_BODY_TOO_LARGE. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  requestTimeout: logFollowerFields.requestTimeout,
  vantage: logFollowerFields.vantage,
  checkpointHeartbeat: logFollowerFields.checkpointHeartbeat,
  /** Verify the SET of v1 entries (off only for logs without one). */
  verifySet: z.boolean().default(true),
});
export type RekorCollectorConfigInput = z.input<typeof rekorCollectorConfigSchema>;
export type RekorCollectorConfig = z.output<typeof rekorCollectorConfigSchema>;

/** Caught at config time (`chainwatch config check`), not at every start of the collector; whether
 * the key type is one a log signs with is trust/'s logKeyFromPem's to say when the collector starts. */
function parsesAsPublicKey(pem: string): boolean {
  try {
    createPublicKey(pem);
    return true;
  } catch {
    return false;
  }
}
