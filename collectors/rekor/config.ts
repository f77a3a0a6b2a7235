import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { duration } from '../../core/index.js';

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
  /** Where to begin on first run (no cursor yet): the current tree size, index 0, or a given index. */
  start: z.union([z.literal('now'), z.literal('beginning'), z.strictObject({ index: z.number().int().nonnegative() })]).default('now'),
  /** Pause between polling rounds. */
  pollInterval: duration({ min: 1 }).prefault('10s'),
  /** Entries per fetched batch (v1 requests are split into retrieve calls of at most 10). */
  batchSize: z.number().int().min(1).max(1000).default(50),
  /** Batches fetched in parallel; publication stays in log order. */
  concurrency: z.number().int().min(1).max(64).default(4),
  rateLimit: z
    .strictObject({ requestsPerSecond: z.number().positive().default(20), burst: z.number().int().positive().optional() })
    .default({ requestsPerSecond: 20 }),
  /** Largest response body accepted (bytes); larger ones fail with HTTP_BODY_TOO_LARGE. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /** Per HTTP request, until the last body byte. */
  requestTimeout: duration({ min: 1 }).prefault('30s'),
  /** Name of this vantage point in checkpoint/anomaly events. */
  vantage: z.string().min(1).default('primary'),
  /**
   * A log whose tree does not grow is still re-verified every poll; its unchanged checkpoint is
   * re-published at most this often, so detectors see it is alive (stale checks, clearing
   * "unreachable" findings) without a bus event per poll.
   */
  checkpointHeartbeat: duration().prefault('5m'),
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
