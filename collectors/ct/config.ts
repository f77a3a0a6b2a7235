import { z } from 'zod';
import { logFollowerFields } from '../shared/log-collector/index.js';
import { CtError } from './errors.js';
import { loadLogKey } from './log-key.js';

/**
 * One followed CT log. `url`: the RFC 6962 prefix (…/ct/v1/ is appended) or, for api "static", the
 * monitoring prefix (checkpoint, tiles, issuers). `key`: the log's public key, base64 DER SPKI as
 * in the log list v3, or PEM; checked at load (CT_KEY_MALFORMED / CT_KEY_UNSUPPORTED), and
 * `logId`, when given, must be its SHA-256 (CT_KEY_ID_MISMATCH).
 */
export const ctLogFields = z.strictObject({
  url: z.url(),
  api: z.enum(['rfc6962', 'static']).default('rfc6962'),
  key: z.string().min(1),
  logId: z.string().min(1).optional(),
  /** Static CT checkpoint origin (default: whatever origin the log key signed). */
  origin: z.string().min(1).optional(),
  description: z.string().optional(),
  operator: z.string().optional(),
  start: logFollowerFields.start,
  pollInterval: logFollowerFields.pollInterval,
  /** Entries per get-entries batch (rounded up to whole tiles for static logs). */
  batchSize: z.number().int().min(1).max(10_000).default(256),
  concurrency: logFollowerFields.concurrency,
  rateLimit: logFollowerFields.rateLimit,
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  requestTimeout: logFollowerFields.requestTimeout,
  vantage: logFollowerFields.vantage,
  checkpointHeartbeat: logFollowerFields.checkpointHeartbeat,
});

export const ctLogConfigSchema = ctLogFields.superRefine((log, ctx) => {
  try {
    const k = loadLogKey(log.key);
    if (log.logId !== undefined && k.logId.toString('base64') !== log.logId) {
      ctx.addIssue({ code: 'custom', path: ['logId'], message: 'CT_KEY_ID_MISMATCH: logId is not the SHA-256 of key' });
    }
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['key'], message: err instanceof CtError ? `${err.code}: ${err.message}` : 'unusable key' });
  }
});
export type CtLogConfigInput = z.input<typeof ctLogConfigSchema>;
export type CtLogConfig = z.output<typeof ctLogConfigSchema>;
