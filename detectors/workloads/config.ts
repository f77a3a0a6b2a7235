import { z } from 'zod';
import { cronSchema, duration, SEVERITIES } from '../../core/index.js';

/**
 * `detectors.workloads` (docs/k8s-watch.md): judges what runs in the watched clusters against what
 * chainwatch knows about its images (registry.artifact.verified), revocations (keys.revoked) and
 * admission decisions (k8s.admission.decided), and asks collectors/signatures to re-verify running
 * images (registry.manifest.v1, source k8s, action verify) on a schedule and when something changed.
 */
export const workloadsConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  group: z.string().min(1).default('detector.workloads'),
  source: z.string().min(1).default('chainwatch://detectors/workloads'),
  /** When every running image is re-verified (a signature deleted, a policy changed upstream). */
  reverify: z.strictObject({ schedule: cronSchema('*/30 * * * *') }).prefault({}),
  /** When pending judgements (admission bypass after its grace period) are made. */
  evaluate: z.strictObject({ schedule: cronSchema('* * * * *') }).prefault({}),
  admission: z
    .strictObject({
      /** Flag Pods that run without an allowed admission decision (once the webhook is known to be active). */
      required: z.boolean().default(true),
      /** How long after a Pod's creation its decision may still arrive (events of two topics are not ordered). */
      grace: duration({ min: 0 }).default(120_000),
      /** A decision for a Pod without a name yet (generateName) counts for a Pod with the same images created within this window after it. */
      anonymousWindow: duration({ min: 1000 }).default(300_000),
    })
    .prefault({}),
  severity: z
    .strictObject({
      policyFailed: z.enum(SEVERITIES).default('high'),
      unsigned: z.enum(SEVERITIES).default('high'),
      signatureDisappeared: z.enum(SEVERITIES).default('critical'),
      signerRevoked: z.enum(SEVERITIES).default('critical'),
      admissionBypassed: z.enum(SEVERITIES).default('high'),
      unverifiable: z.enum(SEVERITIES).default('medium'),
    })
    .prefault({}),
});

export type WorkloadsConfig = z.output<typeof workloadsConfigSchema>;
export type WorkloadsConfigInput = z.input<typeof workloadsConfigSchema>;
