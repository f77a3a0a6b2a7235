import { z } from 'zod';
import { duration, SEVERITIES } from '../../core/index.js';

/**
 * Configuration of the key-misuse detector (`detectors.keyMisuse`, docs/key-misuse.md). Every
 * pattern is an allowlist glob (rules/identity: anchored, `*` = any run of characters). Repository
 * patterns match a source repository as "github.com/owner/repo" (lower case, from the Fulcio
 * claims) or an image repository as "<registry>/<repository>" (e.g. "ghcr.io/acme/app").
 */
const globs = z.array(z.string().trim().min(1));

const ciRequirement = z
  .object({
    name: z.string().trim().min(1),
    /** Signer SANs (e-mail or URI) this requirement covers. */
    identities: globs.optional(),
    /** Source or image repositories this requirement covers. */
    repositories: globs.optional(),
    /** The CI's OIDC issuer. */
    issuer: z.string().min(1).default('https://token.actions.githubusercontent.com'),
    /** Allowed Fulcio runner environments ("github-hosted", "self-hosted"). */
    runnerEnvironments: z.array(z.string().min(1)).min(1).default(['github-hosted']),
    /** Allowed workflow triggers (push, release, workflow_dispatch...); absent = any. */
    triggers: z.array(z.string().min(1)).optional(),
    /** Allowed workflows as "owner/repo/.github/workflows/x.yml@ref" globs; absent = any. */
    workflowRefs: globs.optional(),
  })
  .strict()
  .refine((r) => r.identities !== undefined || r.repositories !== undefined, {
    message: 'set identities or repositories (what must be signed in CI)',
    path: ['identities'],
  });

const releaseWindow = z
  .object({
    repositories: globs.min(1),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .strict()
  .refine((w) => Date.parse(w.from) < Date.parse(w.to), { message: 'from must be before to', path: ['to'] });

export const keyMisuseConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    group: z.string().min(1).default('detector.key-misuse'),
    source: z.string().min(1).default('chainwatch://detectors/key-misuse'),
    /** OIDC issuers signers may use; empty = key.unexpected_issuer is off. */
    expectedIssuers: z.array(z.string().min(1)).default([]),
    /** Identities / repositories that must be signed from CI (key.outside_ci). */
    ciRequirements: z.array(ciRequirement).default([]),
    /** Groups of repositories considered one project (key.cross_repository). */
    relatedRepositories: z.array(globs.min(1)).default([]),
    /** Workflows whose tag-ref signatures count as releases; absent = any workflow on refs/tags/*. */
    releaseWorkflows: globs.optional(),
    /** A release makes new identities/repositories expected for this long after it. */
    releaseWindow: duration({ min: 1 }).default(86_400_000),
    /** Planned release windows (a rotation, a migration): inside one, new signers are expected. */
    releaseWindows: z.array(releaseWindow).default([]),
    /** How far back signature uses are kept to re-check on a late revocation. */
    historyWindow: duration({ min: 1 }).default(30 * 86_400_000),
    /** Uses kept per key or identity (newest first). */
    historyMax: z.number().int().min(1).max(10_000).default(200),
    severity: z
      .object({
        policyEnforce: z.enum(SEVERITIES).default('high'),
        policyWarn: z.enum(SEVERITIES).default('low'),
        discovery: z.enum(SEVERITIES).default('medium'),
        certValidity: z.enum(SEVERITIES).default('high'),
        unexpectedIssuer: z.enum(SEVERITIES).default('high'),
        outsideCi: z.enum(SEVERITIES).default('high'),
        crossRepository: z.enum(SEVERITIES).default('high'),
        resignNewIdentity: z.enum(SEVERITIES).default('high'),
      })
      .strict()
      .default({
        policyEnforce: 'high',
        policyWarn: 'low',
        discovery: 'medium',
        certValidity: 'high',
        unexpectedIssuer: 'high',
        outsideCi: 'high',
        crossRepository: 'high',
        resignNewIdentity: 'high',
      }),
  })
  .strict();

export type KeyMisuseConfig = z.output<typeof keyMisuseConfigSchema>;
export type KeyMisuseConfigInput = z.input<typeof keyMisuseConfigSchema>;
