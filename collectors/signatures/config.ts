import { z } from 'zod';
import { duration, secretSchema } from '../../core/index.js';

/** How to reach one registry: basic credentials (exchanged for bearer tokens on challenge), plain http. */
const registryFields = z.strictObject({
  /** Allow plain http to this registry (loopback hosts always may); never for a registry across a network you do not own. */
  insecure: z.boolean().default(false),
  username: z.string().min(1).optional(),
  /** A secret reference ({ env } / { file }); sent only to this registry and its token realm. */
  password: secretSchema.optional(),
  requestTimeout: duration({ min: 100 }).default(30_000),
});

/**
 * `collectors.signatures`: for every pushed or to-be-verified image digest (registry.manifest.v1),
 * discover its signatures and attestations (cosign tags, OCI 1.1 referrers and their tag fallback),
 * verify them (trust/), evaluate policies and publish one registry.artifact.verified.v1.
 */
export const signaturesConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    group: z.string().min(1).default('collector.signatures'),
    /** Per registry host[:port] (lower case, as in the events): auth and transport. Unlisted registries: anonymous https. */
    registries: z.record(z.string().min(1), registryFields).default({}),
    trust: z
      .strictObject({
        /** PEM public keys (files) that key-based cosign signatures are verified against. */
        keys: z.array(z.string().min(1)).default([]),
        /** Verify keyless (Fulcio certificate) signatures against a Sigstore trusted root. */
        keyless: z.boolean().default(true),
        /**
         * trusted_root.json (a private Sigstore, a pinned root): Fulcio CAs for keyless, and the logs whose evidence of
         * key-based signatures is checked (also loaded with keyless off); absent: the production root embedded in
         * @sigstore/tuf (offline) when keyless is on, none otherwise.
         */
        trustedRoot: z.string().min(1).optional(),
        /**
         * Transparency logs (Rekor v1, e.g. a private Rekor) trusted besides the trusted root's: the URL its checkpoints
         * name (Rekor's --rekor_server.hostname) and its public key (PEM file, what it serves at /api/v1/log/publicKey).
         * A key-based signature logged there reports verified tlog evidence and its integrated time; one whose log
         * evidence does not verify against a trusted log fails with TLOG_INVALID.
         */
        rekorLogs: z.array(z.strictObject({ url: z.url(), publicKey: z.string().min(1) })).default([]),
        /** Key-based signatures must also carry verified transparency-log evidence. */
        requireTlog: z.boolean().default(false),
      })
      .prefault({}),
    /** Image policies (rules/policy; docs/policy.md once it lands): a YAML file or a directory of them, reloaded on change; absent: verdict no_policy. */
    policies: z.string().min(1).optional(),
    /** How long a result is reused for `verify` requests (its validUntil); a push always re-checks. */
    cacheTtl: duration({ min: 1000 }).default(3_600_000),
    /** Wait after a push before discovery: signing and attesting come after the push. */
    settleDelay: duration({ max: 3_600_000 }).default(5_000),
    /** Digests discovered at once (across partitions). */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** Largest signature/attestation layer read (bytes). */
    maxLayerBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    /** Referrers considered per digest (a registry may hold many SBOMs; the rest are reported as a discovery error). */
    maxReferrers: z.number().int().min(1).max(256).default(32),
    stateKeyPrefix: z.string().min(1).default('signatures'),
  })
  .superRefine((cfg, ctx) => {
    for (const [host, r] of Object.entries(cfg.registries)) {
      if (host !== host.toLowerCase())
        ctx.addIssue({ code: 'custom', path: ['registries', host], message: 'registry hosts are lower case (as in the events)' });
      if ((r.username === undefined) !== (r.password === undefined))
        ctx.addIssue({ code: 'custom', path: ['registries', host], message: 'username and password go together' });
    }
  });
export type SignaturesConfigInput = z.input<typeof signaturesConfigSchema>;
export type SignaturesConfig = z.output<typeof signaturesConfigSchema>;
