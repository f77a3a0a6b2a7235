import { z } from 'zod';
import { defineEventType } from '../registry.js';
import { signerIdentitySchema } from './rekor.js';

/**
 * Container registries: what was pushed (collectors/registry, from webhooks or polling) and what
 * chainwatch found out about a pushed digest (collectors/signatures: signatures, attestations,
 * policy verdicts). Both are keyed by the image digest so one artifact's events stay ordered.
 * subject = "<registry>/<repository>@sha256:<hex>" (registry host with port, lower case).
 */
const digest = z.string().regex(/^sha(256|384|512):[0-9a-f]{64,128}$/, 'sha256:<lowercase hex> (or sha384/sha512)');

/** Where a manifest event came from. `admission` and `k8s` ask for a (re)verification of a running or admitted image. */
export const REGISTRY_SOURCES = ['distribution', 'harbor', 'github', 'gitlab', 'poll', 'cli', 'admission', 'k8s'] as const;
export type RegistrySource = (typeof REGISTRY_SOURCES)[number];

export const imageRefSchema = z.object({
  /** Registry host[:port] as clients address it (lower case), e.g. "ghcr.io", "127.0.0.1:5000". */
  registry: z.string().min(1).max(255),
  /** Repository path without the registry, e.g. "acme/app". */
  repository: z.string().min(1).max(512),
  digest,
  /** Tag the push or request named, when it named one. */
  tag: z.string().min(1).max(128).optional(),
});
export type ImageRef = z.output<typeof imageRefSchema>;

export const registryManifestSchema = z.object({
  source: z.enum(REGISTRY_SOURCES),
  /** push: a manifest arrived; delete: it was removed; verify: please (re)check this digest now. */
  action: z.enum(['push', 'delete', 'verify']),
  image: imageRefSchema,
  mediaType: z.string().max(255).optional(),
  size: z.number().int().nonnegative().optional(),
  /** The sender's delivery id (webhook) or a stable id (poll: registry/repo/tag/digest); idempotency key. */
  deliveryId: z.string().min(1).max(256),
  /** Who pushed, as the registry reports it (user name, never a credential). */
  actor: z.string().max(256).optional(),
  /** When the registry says it happened, else when we received it. */
  occurredAt: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime({ offset: true }),
});
export type RegistryManifest = z.output<typeof registryManifestSchema>;

export const RegistryManifestEvent = defineEventType({
  type: 'dev.chainwatch.registry.manifest.v1',
  family: 'registry',
  description:
    'A manifest pushed to or deleted from a registry (webhook or poll), or a request to (re)verify a digest; durable before the webhook is answered 202.',
  subject: '<registry>/<repository>@<digest>',
  schema: registryManifestSchema,
});

/** Who signed: a Sigstore signer identity plus the key id every key-based rule matches on. */
export const artifactSignerSchema = signerIdentitySchema.extend({
  /** Lowercase hex SHA-256 of the signing key's DER SubjectPublicKeyInfo (the key inside the certificate for keyless). */
  keyId: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type ArtifactSigner = z.output<typeof artifactSignerSchema>;

export const SIGNATURE_FORMATS = ['cosign', 'cosign-bundle', 'sigstore-bundle', 'notation', 'unknown'] as const;
/** Which discovery path found it: the cosign tag convention, the OCI 1.1 referrers API, or its tag-schema fallback. */
export const DISCOVERY_PATHS = ['tag', 'referrers', 'referrers-tag'] as const;

const tlogEvidence = z.object({
  logIndex: z.number().int().nonnegative(),
  integratedTime: z.iso.datetime({ offset: true }).optional(),
  logId: z.string().optional(),
  /** true = inclusion proof or SET verified against a trusted log key. */
  verified: z.boolean(),
});

/** What every found signature or attestation carries about its verification. */
const verificationFields = {
  format: z.enum(SIGNATURE_FORMATS),
  foundBy: z.enum(DISCOVERY_PATHS),
  /** Digest of the manifest (or referrer) that holds it. */
  ref: digest,
  /** true only when the signature checked against a trusted key or certificate chain AND covers this digest. */
  verified: z.boolean(),
  /** Coded reason when not verified (e.g. SIGNATURE_INVALID, NOTATION_UNSUPPORTED, UNTRUSTED_KEY). */
  errorCode: z.string().max(64).optional(),
  error: z.string().max(1000).optional(),
  signer: artifactSignerSchema.optional(),
  tlog: tlogEvidence.optional(),
  /** Times that verified: RFC 3161 timestamps, and the tlog integrated time once its SET or inclusion proof checked against a trusted log key. */
  timestamps: z
    .array(z.iso.datetime({ offset: true }))
    .max(16)
    .default([]),
  /** When the signature was made, best evidence first: TSA, then tlog integrated time. */
  signedAt: z.iso.datetime({ offset: true }).optional(),
};

export const foundSignatureSchema = z.object(verificationFields);
export type FoundSignature = z.output<typeof foundSignatureSchema>;

/** Largest predicate carried verbatim; larger ones keep only their `summary`. */
export const MAX_INLINE_PREDICATE_BYTES = 64 * 1024;

export const foundAttestationSchema = z.object({
  ...verificationFields,
  /** in-toto predicateType, e.g. "https://slsa.dev/provenance/v1", "https://cyclonedx.org/bom". */
  predicateType: z.string().min(1).max(512),
  /** The statement's subject names this digest. */
  subjectMatches: z.boolean(),
  /** Lowercase hex SHA-256 of the predicate's canonical JSON. */
  predicateSha256: z.string().regex(/^[0-9a-f]{64}$/),
  predicateBytes: z.number().int().nonnegative(),
  /** The predicate itself when at most MAX_INLINE_PREDICATE_BYTES, else absent (`summary` stays). */
  predicate: z.unknown().optional(),
  /** Bounded facts parsed from known predicate types (builder, source, licences, vulnerability counts). */
  summary: z.record(z.string(), z.unknown()).default({}),
});
export type FoundAttestation = z.output<typeof foundAttestationSchema>;

export const POLICY_RESULTS = ['pass', 'fail', 'not_applicable'] as const;

/** One policy's verdict on the digest, with every authority and condition explained. */
export const policyVerdictSchema = z.object({
  policy: z.string().min(1),
  mode: z.enum(['enforce', 'warn']),
  result: z.enum(POLICY_RESULTS),
  /** k of n authorities; absent when every authority is required. */
  threshold: z.object({ required: z.number().int().positive(), satisfied: z.number().int().nonnegative() }).optional(),
  authorities: z
    .array(
      z.object({
        name: z.string().min(1),
        satisfied: z.boolean(),
        /** `ref` digests of the signatures/attestations that satisfied it. */
        matched: z.array(z.string()).default([]),
        /**
         * keyId (else fingerprintSha256) of each signer whose signature satisfied it. A `ref` alone does not say
         * who: a cosign `.sig` manifest holds the layers of every signer of the digest.
         */
        signers: z.array(z.string()).max(64).optional(),
        reason: z.string().max(1000),
      }),
    )
    .default([]),
  conditions: z
    .array(
      z.object({
        predicateType: z.string().min(1),
        expression: z.string().max(4000),
        result: z.enum(['pass', 'fail', 'error', 'missing']),
        reason: z.string().max(1000),
      }),
    )
    .default([]),
  /** Machine-readable failure kinds: unsigned, signer_not_allowed, threshold_not_met, condition_failed, attestation_missing, stage_missing. */
  failures: z.array(z.string()).default([]),
  reasons: z.array(z.string().max(1000)).default([]),
});
export type PolicyVerdict = z.output<typeof policyVerdictSchema>;

export const artifactVerifiedSchema = z.object({
  image: imageRefSchema,
  /** Tags known to point at this digest. */
  tags: z.array(z.string()).max(256).default([]),
  /** The manifest event (or request) that caused this check. */
  trigger: z.object({ source: z.enum(REGISTRY_SOURCES), deliveryId: z.string().min(1), action: z.enum(['push', 'delete', 'verify']) }),
  signatures: z.array(foundSignatureSchema).max(64).default([]),
  attestations: z.array(foundAttestationSchema).max(64).default([]),
  /** Policies whose image globs matched (and those that did not apply, with result not_applicable). */
  policies: z.array(policyVerdictSchema).max(256).default([]),
  /** pass: every applicable enforce policy passed; fail: one failed; no_policy: none applied. */
  verdict: z.enum(['pass', 'fail', 'no_policy']),
  /** Discovery problems that are not the artifact's fault (registry down, 5xx): infrastructure, not security. */
  discoveryErrors: z
    .array(z.object({ code: z.string().min(1).max(64), message: z.string().max(1000) }))
    .max(32)
    .default([]),
  checkedAt: z.iso.datetime({ offset: true }),
  /** Until when a consumer may reuse this result without asking again. */
  validUntil: z.iso.datetime({ offset: true }),
});
export type ArtifactVerified = z.output<typeof artifactVerifiedSchema>;

export const ArtifactVerifiedEvent = defineEventType({
  type: 'dev.chainwatch.registry.artifact.verified.v1',
  family: 'registry',
  description:
    'Everything found about one image digest: signatures and attestations with their verification, parsed predicate summaries, and the verdict of every policy.',
  subject: '<registry>/<repository>@<digest>',
  schema: artifactVerifiedSchema,
});

/** The subject every registry event of one image uses. */
export function imageSubject(image: Pick<ImageRef, 'registry' | 'repository' | 'digest'>): string {
  return `${image.registry}/${image.repository}@${image.digest}`;
}
