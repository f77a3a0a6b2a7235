import { z } from 'zod';
import { duration, secretSchema, WORKLOAD_KINDS } from '../../../core/index.js';

/**
 * `collectors.k8s`: the cluster watch (docs/k8s-watch.md). Each cluster is reached either through
 * a kubeconfig file (its current context) or through server + token (a secret reference) + CA
 * file. The ServiceAccount needs only list and watch on the kinds listed here.
 */
const cluster = z
  .strictObject({
    /** The name events carry (`cluster` field and subject); unique per daemon. */
    name: z
      .string()
      .trim()
      .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'lower-case DNS-like name'),
    /** API server URL, e.g. https://10.0.0.1:6443 (with token and caFile). */
    server: z.url().optional(),
    /** Bearer token (a ServiceAccount token): a secret reference ({ env } / { file }). */
    token: secretSchema.optional(),
    /**
     * A file holding the bearer token instead of `token`, re-read while the daemon runs (by the
     * client, when its copy is over a minute old): a projected ServiceAccount token
     * (/var/run/secrets/kubernetes.io/serviceaccount/token) rotates, a token read once would expire.
     */
    tokenFile: z.string().min(1).optional(),
    /** PEM CA bundle that signed the API server's serving certificate. */
    caFile: z.string().min(1).optional(),
    /** A kubeconfig file instead of server/token/caFile; its current context is used. */
    kubeconfig: z.string().min(1).optional(),
    /** Namespaces to watch; empty = all namespaces (one cluster-wide watch per kind). */
    namespaces: z.array(z.string().trim().min(1).max(63)).default([]),
    kinds: z
      .array(z.enum(WORKLOAD_KINDS))
      .min(1)
      .default([...WORKLOAD_KINDS]),
    /** Server-side watch timeout; the watch is re-opened from the last resourceVersion after it. */
    watchTimeout: duration({ min: 1000, max: 3_600_000 }).default(300_000),
    /** Page size of a (re)list. */
    pageSize: z.number().int().min(1).max(5000).default(500),
  })
  .refine((c) => (c.kubeconfig !== undefined) !== (c.server !== undefined), {
    message: 'set either kubeconfig or server (with token or tokenFile, and caFile)',
    path: ['server'],
  })
  .refine((c) => c.token === undefined || c.tokenFile === undefined, { message: 'set token or tokenFile, not both', path: ['tokenFile'] })
  .refine((c) => c.kubeconfig === undefined || (c.token === undefined && c.tokenFile === undefined), {
    message: 'a kubeconfig brings its own credentials: drop token/tokenFile',
    path: ['kubeconfig'],
  });

/** How to reach one registry when resolving a tag to its digest. */
const registryFields = z.strictObject({
  insecure: z.boolean().default(false),
  username: z.string().min(1).optional(),
  password: secretSchema.optional(),
  requestTimeout: duration({ min: 100 }).default(10_000),
});

export const k8sWatchConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  source: z.string().min(1).default('chainwatch://collectors/k8s'),
  clusters: z.array(cluster).min(1),
  /** Tag -> digest resolution (Pods without a kubelet-reported imageID name tags only). */
  resolve: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How long a resolved tag is reused before the registry is asked again. */
      ttl: duration({ min: 1000 }).default(300_000),
      /** Per registry host[:port]: auth and transport. Unlisted: anonymous https (loopback: http). */
      registries: z.record(z.string().min(1), registryFields).default({}),
    })
    .prefault({}),
});

export type K8sWatchConfig = z.output<typeof k8sWatchConfigSchema>;
export type K8sWatchConfigInput = z.input<typeof k8sWatchConfigSchema>;
export type ClusterConfig = K8sWatchConfig['clusters'][number];
