import { z } from 'zod';
import { SEVERITIES } from '../../core/index.js';

/**
 * The identity policy (rules/examples/*.yaml; reference in docs/detectors.md).
 *
 * A policy is a list of WATCHES. Each watch says
 *   match:    which signatures concern it. These are rekor-monitor's monitoredValues
 *             (certIdentities, subjects, fingerprints, oidMatchers, fulcioExtensions) with
 *             rekor-monitor semantics: regular expressions, unanchored, any matcher suffices.
 *             `repositories` is a shorthand for "the source repository is this one".
 *   expected: who may legitimately sign for it (an allowlist). Each entry is a conjunction of
 *             globs over the signer's claims (every listed field must match); the entries are
 *             alternatives. Globs are anchored and only `*` is special, on purpose: an allowlist
 *             must be exact, while the watch list should rather catch too much.
 * A matching signature that no expected entry allows is a finding; an allowed one is ignored or
 * recorded (onExpected).
 */
const nonEmpty = z.string().trim().min(1);
const pattern = nonEmpty.max(1000);
const list = <T extends z.ZodType>(item: T) => z.array(item).min(1);

const certIdentity = z
  .object({
    /** Regex over the certificate's SANs (email, URI). */
    certSubject: pattern,
    /** Regexes over the OIDC issuer; absent = any issuer. */
    issuers: z.array(pattern).optional(),
  })
  .strict();

const oidMatcher = z.preprocess(
  // rekor-monitor spells it objectIdentifier; accept both so its configs carry over.
  (v) => {
    if (!v || typeof v !== 'object' || !('objectIdentifier' in v) || 'oid' in v) return v;
    const { objectIdentifier, ...rest } = v as Record<string, unknown>;
    return { ...rest, oid: objectIdentifier };
  },
  z
    .object({
      oid: nonEmpty.regex(/^1\.3\.6\.1\.4\.1\.57264\.1(\.[0-9]+)+$/, 'must be a Fulcio OID 1.3.6.1.4.1.57264.1.*'),
      /** Exact values (rekor-monitor compares extension values for equality). */
      extensionValues: list(nonEmpty),
    })
    .strict(),
);

export const matchSchema = z
  .object({
    /** Source repositories, "github.com/owner/repo" (also "owner/repo" or an https URL). */
    repositories: z.array(nonEmpty).optional(),
    certIdentities: z.array(certIdentity).optional(),
    /** Regexes over the subject of non-certificate signers (key-signed entries). */
    subjects: z.array(pattern).optional(),
    /** SHA-256 of the DER certificate or SPKI, hex (colons and case ignored). */
    fingerprints: z.array(nonEmpty.regex(/^([0-9a-fA-F]{2}:?){32}$/, 'must be a hex SHA-256 fingerprint')).optional(),
    oidMatchers: z.array(oidMatcher).optional(),
    /** Extension name (e.g. build-config-uri) -> exact values. */
    fulcioExtensions: z.record(nonEmpty, list(nonEmpty)).optional(),
  })
  .strict()
  .refine((m) => Object.values(m).some((v) => (Array.isArray(v) ? v.length > 0 : v && Object.keys(v).length > 0)), {
    message: 'a watch must match on at least one of repositories, certIdentities, subjects, fingerprints, oidMatchers, fulcioExtensions',
  });

export const expectedSignerSchema = z
  .object({
    name: nonEmpty,
    /** Globs over the OIDC issuer. */
    issuers: z.array(pattern).optional(),
    /** Globs over the certificate SAN. */
    sans: z.array(pattern).optional(),
    /**
     * Globs over the signing workflow, "owner/repo/.github/workflows/x.yml@ref". A pattern
     * starting with ".github/" is relative to the signature's SOURCE repository: it allows only
     * that repository's own workflow, never a same-named workflow elsewhere.
     */
    workflowRefs: z.array(pattern).optional(),
    /** Globs over the git ref that was built (refs/tags/v*, refs/heads/main). */
    refs: z.array(pattern).optional(),
    /** Globs over the event that triggered the build (push, release, workflow_dispatch). */
    triggers: z.array(pattern).optional(),
    /** Source repositories, as in match.repositories. */
    repositories: z.array(nonEmpty).optional(),
    /** github-hosted | self-hosted. */
    runnerEnvironments: z.array(pattern).optional(),
    fingerprints: z.array(nonEmpty.regex(/^([0-9a-fA-F]{2}:?){32}$/, 'must be a hex SHA-256 fingerprint')).optional(),
    /** Extension name or Fulcio OID -> globs over its value. */
    extensions: z.record(nonEmpty, list(pattern)).optional(),
  })
  .strict()
  // An empty `extensions: {}` adds no check at all, so it must not count as a constraint.
  .refine(
    (e) => Object.entries(e).some(([k, v]) => k !== 'name' && v !== undefined && (Array.isArray(v) || typeof v !== 'object' || Object.keys(v).length > 0)),
    {
      message: 'an expected signer must constrain at least one claim (it would allow everyone)',
    },
  );

const severity = z.enum(SEVERITIES);
const onExpected = z.enum(['ignore', 'record']);

export const watchSchema = z
  .object({
    name: nonEmpty.max(200),
    description: z.string().max(2000).optional(),
    match: matchSchema,
    /** Empty or absent: every matching signature is unexpected (pure rekor-monitor behaviour). */
    expected: z.array(expectedSignerSchema).default([]),
    /** Severity of an unexpected signature (default from `defaults`). */
    severity: severity.optional(),
    onExpected: onExpected.optional(),
    labels: z.record(nonEmpty, z.string()).optional(),
  })
  .strict();

export const identityPolicySchema = z
  .object({
    version: z.literal(1),
    defaults: z
      .object({
        severity: severity.default('high'),
        onExpected: onExpected.default('ignore'),
      })
      .strict()
      .prefault({}),
    watches: z.array(watchSchema).min(1),
  })
  .strict();

export type IdentityPolicy = z.output<typeof identityPolicySchema>;
export type IdentityPolicyInput = z.input<typeof identityPolicySchema>;
export type Watch = z.output<typeof watchSchema>;
export type ExpectedSigner = z.output<typeof expectedSignerSchema>;
export type WatchMatch = z.output<typeof matchSchema>;
