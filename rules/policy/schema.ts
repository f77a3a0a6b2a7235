import { z } from 'zod';

/**
 * One image policy, as written in YAML (docs/policy.md is the reference). Modelled on sigstore
 * policy-controller's ClusterImagePolicy: image globs, authorities (a key, a keyless identity or a
 * static answer) with optional attestation requirements whose CEL conditions run over the
 * predicate, a k-of-n threshold, stages (policies that must have passed first) and a mode.
 */
export const attestationRequirementSchema = z
  .object({
    /** Names the requirement in verdicts; defaults to the predicate type. */
    name: z.string().min(1).max(128).optional(),
    /** in-toto predicateType, compared exactly. */
    predicateType: z.string().min(1).max(512),
    /** A CEL expression over `predicate`, `summary` and `predicateType` that must be true. */
    condition: z.string().min(1).max(4000).optional(),
  })
  .strict();
export type AttestationRequirement = z.output<typeof attestationRequirementSchema>;

const keySchema = z
  .object({
    /** PEM public key file, relative to the policy file's directory. */
    path: z.string().min(1).optional(),
    /** Inline PEM public key. */
    pem: z.string().min(1).optional(),
    /** Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo. */
    keyId: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits (SHA-256 of the DER SubjectPublicKeyInfo)')
      .optional(),
  })
  .strict()
  .refine((k) => [k.path, k.pem, k.keyId].filter((v) => v !== undefined).length === 1, 'give exactly one of path, pem or keyId');

/** A Fulcio certificate identity, as policy-controller spells it: each of issuer and subject exact or a regex. */
const keylessSchema = z
  .object({
    issuer: z.string().min(1).optional(),
    issuerRegExp: z.string().min(1).optional(),
    subject: z.string().min(1).optional(),
    subjectRegExp: z.string().min(1).optional(),
  })
  .strict()
  .refine((k) => (k.issuer === undefined) !== (k.issuerRegExp === undefined), 'give exactly one of issuer or issuerRegExp')
  .refine((k) => (k.subject === undefined) !== (k.subjectRegExp === undefined), 'give exactly one of subject or subjectRegExp');

export const authoritySchema = z
  .object({
    name: z.string().min(1).max(128),
    key: keySchema.optional(),
    keyless: keylessSchema.optional(),
    static: z.enum(['pass', 'fail']).optional(),
    attestations: z.array(attestationRequirementSchema).max(32).optional(),
  })
  .strict()
  .refine((a) => [a.key, a.keyless, a.static].filter((v) => v !== undefined).length === 1, 'give exactly one of key, keyless or static')
  .refine((a) => a.static === undefined || a.attestations === undefined, 'a static authority cannot require attestations');
export type Authority = z.output<typeof authoritySchema>;

export const imagePolicySchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-"'),
    description: z.string().max(1000).optional(),
    /** enforce: a failure fails the overall verdict; warn: it is reported only. */
    mode: z.enum(['enforce', 'warn']).default('enforce'),
    /** Image globs over "<registry>/<repository>" (see docs/policy.md for * and **). */
    images: z.array(z.string().min(1).max(512)).min(1).max(256),
    authorities: z.array(authoritySchema).max(32).default([]),
    /** k of n authorities must be satisfied; absent: all of them. */
    threshold: z.number().int().positive().optional(),
    /** Attestations required whatever authority signed them (any of this policy's signer authorities). */
    attestations: z.array(attestationRequirementSchema).max(32).default([]),
    /** Policies (stages) that must pass on the same digest first, e.g. production requires staging. */
    requires: z.array(z.string().min(1)).max(16).default([]),
  })
  .strict();
export type ImagePolicy = z.output<typeof imagePolicySchema>;
