import { z } from 'zod';
import { SEVERITIES } from '../../core/index.js';

/**
 * Configuration of the identity-watch detector. The policy itself (who is watched, who may sign)
 * lives in its own YAML file (rules/identity; examples in rules/examples/), or inline for
 * embedding and tests. Exactly one of policyFile / policy.
 */
export const identityWatchConfigSchema = z
  .object({
    /** The daemon builds the detector only when enabled. */
    enabled: z.boolean().default(true),
    group: z.string().min(1).default('detector.identity-watch'),
    source: z.string().min(1).default('chainwatch://detectors/identity-watch'),
    /** Path of the identity policy YAML. */
    policyFile: z.string().min(1).optional(),
    /** The policy as an object (same schema as the file). */
    policy: z.unknown().optional(),
    /** Severity of `identity.expected_signer` findings (onExpected: record). */
    expectedSeverity: z.enum(SEVERITIES).default('info'),
    /**
     * Hosts of the public-good Rekor: entries there link to search.sigstore.dev by log index;
     * entries of other logs link to the log's own URL.
     */
    publicLogHosts: z.array(z.string().min(1)).default(['rekor.sigstore.dev']),
    publicSearchUrl: z.string().url().default('https://search.sigstore.dev/'),
  })
  .strict()
  .refine((c) => (c.policyFile === undefined) !== (c.policy === undefined), {
    message: 'set exactly one of policyFile and policy',
    path: ['policyFile'],
  });

export type IdentityWatchConfig = z.output<typeof identityWatchConfigSchema>;
export type IdentityWatchConfigInput = z.input<typeof identityWatchConfigSchema>;
