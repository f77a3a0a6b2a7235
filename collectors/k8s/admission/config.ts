import { z } from 'zod';
import { duration, type HttpAuth, secretSchema } from '../../../core/index.js';

/**
 * `collectors.admission`: the Kubernetes admission webhook (docs/admission.md). Served on the
 * HTTPS listener only (http.tls); the API server must authenticate itself with a bearer token or a
 * client certificate (AdmissionConfiguration kubeConfigFile), so at least one credential is required.
 */
const registryFields = z.strictObject({
  /** Allow plain http to this registry (loopback hosts always may). */
  insecure: z.boolean().default(false),
  username: z.string().min(1).optional(),
  /** A secret reference ({ env } / { file }); sent only to this registry and its token realm. */
  password: secretSchema.optional(),
});

const selectorFields = z.strictObject({
  /** Only these namespaces are checked (empty: every namespace not excluded). */
  include: z.array(z.string().min(1).max(253)).default([]),
  /** Never checked (allowed without a verdict, the decision still recorded). */
  exclude: z.array(z.string().min(1).max(253)).default(['kube-system']),
});

export const admissionSectionSchema = z
  .strictObject({
    /** The cluster name in decision events (one daemon may serve several API servers). */
    cluster: z.string().min(1).max(253).default('default'),
    /**
     * The whole answer (tag resolution, waiting for verification, recording the decision) is sent
     * before this; keep it below the webhook's timeoutSeconds (Kubernetes: 1-30 s, default 10 s).
     */
    deadline: duration({ min: 100, max: 30_000 }).prefault('2s'),
    /** What to answer when verification cannot finish before the deadline: fail-closed (deny) or fail-open (allow, with a warning). */
    onTimeout: z.enum(['deny', 'allow']).default('deny'),
    /** An image no policy applies to: allow (the default: policies say what is required) or deny (every image must be covered). */
    onNoPolicy: z.enum(['allow', 'deny']).default('allow'),
    /** `Authorization: Bearer <token>` the API server sends (kubeconfig `token` in the AdmissionConfiguration). */
    bearer: z.array(z.strictObject({ token: secretSchema, principal: z.string().min(1).max(128) })).default([]),
    /** Accept the API server's client certificate (verified against http.tls.clientCa), optionally only these subject CNs. */
    mtls: z.strictObject({ subjects: z.array(z.string().min(1)).min(1).optional() }).optional(),
    namespaces: selectorFields.prefault({}),
    /** Object labels (metadata.labels): with `match`, only objects carrying all of them are checked; `skip` opts an object out. */
    labels: z.strictObject({ match: z.record(z.string(), z.string()).default({}), skip: z.record(z.string(), z.string()).default({}) }).prefault({}),
    /** Per registry host[:port] (lower case): auth and transport for resolving tags. Unlisted: anonymous https (loopback: http). */
    registries: z.record(z.string().min(1), registryFields).default({}),
    /** How long a resolved tag -> digest is reused (0: resolve on every request). A tag moved within it is judged by its old digest until then. */
    tagTtl: duration({ max: 3_600_000 }).prefault('30s'),
    /** Largest AdmissionReview accepted (413 above); etcd keeps objects below 1.5 MiB and a review carries the old object too. */
    maxBodyBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(16 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    /** Serve POST /admission/mutate too (pins tags to verified digests). */
    mutate: z.boolean().default(false),
    /** Consumer group for chainwatch.registry (default: collector.admission.<instance>, so every daemon keeps a whole cache). */
    group: z.string().min(1).optional(),
    stateKeyPrefix: z.string().min(1).default('admission'),
  })
  .refine((s) => s.bearer.length > 0 || s.mtls !== undefined, {
    message: 'give bearer and/or mtls: the webhook must authenticate the API server (it never serves a public write route)',
  })
  .superRefine((cfg, ctx) => {
    for (const [host, r] of Object.entries(cfg.registries)) {
      if (host !== host.toLowerCase()) ctx.addIssue({ code: 'custom', path: ['registries', host], message: 'registry hosts are lower case' });
      if ((r.username === undefined) !== (r.password === undefined))
        ctx.addIssue({ code: 'custom', path: ['registries', host], message: 'username and password go together' });
    }
  })
  .optional();
export type AdmissionSection = NonNullable<z.output<typeof admissionSectionSchema>>;

export function authOf(s: AdmissionSection): HttpAuth {
  const of: HttpAuth[] = [];
  if (s.bearer.length > 0) of.push({ kind: 'bearer', tokens: s.bearer.map((b) => ({ token: b.token, principal: b.principal })) });
  if (s.mtls) of.push({ kind: 'mtls', ...(s.mtls.subjects ? { subjects: s.mtls.subjects } : {}) });
  return of.length === 1 ? of[0]! : { kind: 'any', of };
}
