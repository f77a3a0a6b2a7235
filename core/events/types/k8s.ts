import { z } from 'zod';
import { defineEventType } from '../registry.js';
import { POLICY_RESULTS } from './registry.js';

/**
 * Kubernetes: what runs in a cluster (collectors/k8s watch) and what chainwatch decided when the API
 * server asked it to admit an object (collectors/k8s admission). Workload events are keyed by the
 * object so one object's start/change/stop stay ordered; admission decisions by the review uid.
 */

export const WORKLOAD_KINDS = ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

const digest = z.string().regex(/^sha(256|384|512):[0-9a-f]{64,128}$/);

/** One container image as the object names it, with what chainwatch resolved it to. */
export const workloadImageSchema = z.object({
  /** Container name; init and ephemeral containers are prefixed `init:` / `ephemeral:`. */
  container: z.string().min(1).max(253),
  /** The reference exactly as written in the spec, e.g. "nginx:1.27", "127.0.0.1:5000/app@sha256:…". */
  reference: z.string().min(1).max(1024),
  /** Registry host[:port] after Docker's normalisation ("docker.io" for "nginx"). */
  registry: z.string().min(1).max(255),
  repository: z.string().min(1).max(512),
  tag: z.string().min(1).max(128).optional(),
  /** The digest the reference pins, or resolved from the tag (see resolvedFromTag), or reported by the kubelet. */
  digest: digest.optional(),
  /** The digest was not in the spec: chainwatch resolved the tag (or read the kubelet's imageID). */
  resolvedFromTag: z.boolean().default(false),
});
export type WorkloadImage = z.output<typeof workloadImageSchema>;

export const workloadSchema = z.object({
  /** The cluster's configured name (one daemon may watch several). */
  cluster: z.string().min(1).max(253),
  kind: z.enum(WORKLOAD_KINDS),
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  uid: z.string().min(1).max(128),
  resourceVersion: z.string().min(1).max(64),
  labels: z.record(z.string(), z.string()).default({}),
  /** Controller owner (e.g. the ReplicaSet of a Pod), when there is one. */
  owner: z.object({ kind: z.string().min(1).max(253), name: z.string().min(1).max(253), uid: z.string().min(1).max(128) }).optional(),
  images: z.array(workloadImageSchema).max(256).default([]),
  /** Pod phase, when the object is a Pod. */
  phase: z.string().max(64).optional(),
  /** When the object was created in the cluster (metadata.creationTimestamp). */
  createdAt: z.iso.datetime({ offset: true }).optional(),
  observedAt: z.iso.datetime({ offset: true }),
});
export type Workload = z.output<typeof workloadSchema>;

const workloadSubject = '<cluster>/<namespace>/<kind>/<name>';

export const WorkloadStartedEvent = defineEventType({
  type: 'dev.chainwatch.k8s.workload.started.v1',
  family: 'k8s',
  description: 'A Pod or workload seen for the first time by the cluster watch (created, or found at a relist).',
  subject: workloadSubject,
  schema: workloadSchema,
});

export const WorkloadChangedEvent = defineEventType({
  type: 'dev.chainwatch.k8s.workload.changed.v1',
  family: 'k8s',
  description: 'A watched Pod or workload whose images, labels or phase changed.',
  subject: workloadSubject,
  schema: workloadSchema,
});

export const WorkloadStoppedEvent = defineEventType({
  type: 'dev.chainwatch.k8s.workload.stopped.v1',
  family: 'k8s',
  description: 'A watched Pod or workload deleted (or gone at a relist).',
  subject: workloadSubject,
  schema: workloadSchema,
});

export function workloadKey(w: Pick<Workload, 'cluster' | 'namespace' | 'kind' | 'name'>): string {
  return `${w.cluster}/${w.namespace}/${w.kind}/${w.name}`;
}

/** How one image fared in an admission decision. */
export const admittedImageSchema = workloadImageSchema.extend({
  /** The verification verdict used: pass/fail/no_policy from a registry.artifact.verified result, unknown when none came in time. */
  verdict: z.enum(['pass', 'fail', 'no_policy', 'unknown']),
  /** Answered from a result already known (true) or from one fetched during this request (false). */
  cached: z.boolean(),
  policies: z
    .array(
      z.object({ policy: z.string().min(1), mode: z.enum(['enforce', 'warn']), result: z.enum(POLICY_RESULTS), failures: z.array(z.string()).default([]) }),
    )
    .max(64)
    .default([]),
});
export type AdmittedImage = z.output<typeof admittedImageSchema>;

export const admissionDecisionSchema = z.object({
  cluster: z.string().min(1).max(253),
  /** AdmissionReview request uid. */
  uid: z.string().min(1).max(128),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  kind: z.string().min(1).max(253),
  namespace: z.string().max(253).optional(),
  name: z.string().max(253).optional(),
  /** Requesting user name (never a credential). */
  user: z.string().max(512).optional(),
  dryRun: z.boolean().default(false),
  allowed: z.boolean(),
  /** validate or mutate (tags pinned to digests). */
  webhook: z.enum(['validate', 'mutate']),
  images: z.array(admittedImageSchema).max(256).default([]),
  /** Warnings returned to the client (warn-mode failures, resolved tags). */
  warnings: z.array(z.string().max(1000)).max(64).default([]),
  /** Why it was denied, or why it was allowed without a verdict (fail-open after the deadline). */
  reason: z.string().max(2000).optional(),
  /** Verification did not finish within the deadline; the answer followed failurePolicy (open/closed). */
  deadlineExceeded: z.boolean().default(false),
  latencyMs: z.number().nonnegative(),
  decidedAt: z.iso.datetime({ offset: true }),
});
export type AdmissionDecision = z.output<typeof admissionDecisionSchema>;

export const AdmissionDecisionEvent = defineEventType({
  type: 'dev.chainwatch.k8s.admission.decided.v1',
  family: 'k8s',
  description: 'An admission decision (allowed or denied, with the verdict, policies and reason per image), so every decision reaches the audit trail.',
  subject: '<cluster>/<namespace>/<kind>/<name>',
  schema: admissionDecisionSchema,
});
