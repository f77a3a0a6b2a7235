import { z } from 'zod';
import { ChainwatchError, parseImageReference, WORKLOAD_KINDS, type WorkloadImage, type WorkloadKind } from '../../../core/index.js';

/**
 * Where each workload kind keeps its pod spec, and the images that spec names. Admission and the
 * cluster watch both read objects through this one extractor, so "which images does this object
 * run" has one answer:
 *
 *   Pod                                                  .spec
 *   Deployment, ReplicaSet, StatefulSet, DaemonSet, Job  .spec.template.spec
 *   CronJob                                              .spec.jobTemplate.spec.template.spec
 *
 * In each pod spec: containers, initContainers (named "init:<name>") and ephemeralContainers
 * ("ephemeral:<name>", Pods only in practice, but read wherever present).
 */
export type K8sObjectErrorCode = 'K8S_KIND_UNSUPPORTED' | 'K8S_OBJECT_MALFORMED';
export class K8sObjectError extends ChainwatchError<K8sObjectErrorCode> {}

/** One container of a pod spec and the image reference exactly as written. */
export interface ContainerImage {
  /** Container name; init and ephemeral containers prefixed `init:` / `ephemeral:`. */
  container: string;
  reference: string;
  /** RFC 6901 pointer to the `image` field in the object (JSONPatch target: "/spec/template/spec/containers/0/image"). */
  pointer: string;
}

// Only what we read; everything else in the object passes untouched (loose objects).
const container = z.looseObject({ name: z.string().min(1).max(253), image: z.string().min(1) });
const podSpec = z.looseObject({
  containers: z.array(container).max(256).default([]),
  initContainers: z.array(container).max(256).default([]),
  ephemeralContainers: z.array(container).max(256).default([]),
});
const template = z.looseObject({ spec: podSpec });
/** Where the pod spec sits in each kind, as a JSON pointer prefix. */
const SPEC_POINTER: Record<WorkloadKind, string> = {
  Pod: '/spec',
  Deployment: '/spec/template/spec',
  ReplicaSet: '/spec/template/spec',
  StatefulSet: '/spec/template/spec',
  DaemonSet: '/spec/template/spec',
  Job: '/spec/template/spec',
  CronJob: '/spec/jobTemplate/spec/template/spec',
};
const SPEC_OF: Record<WorkloadKind, z.ZodType<z.output<typeof podSpec>>> = {
  Pod: z.looseObject({ spec: podSpec }).transform((o) => o.spec),
  Deployment: z.looseObject({ spec: z.looseObject({ template }) }).transform((o) => o.spec.template.spec),
  ReplicaSet: z.looseObject({ spec: z.looseObject({ template }) }).transform((o) => o.spec.template.spec),
  StatefulSet: z.looseObject({ spec: z.looseObject({ template }) }).transform((o) => o.spec.template.spec),
  DaemonSet: z.looseObject({ spec: z.looseObject({ template }) }).transform((o) => o.spec.template.spec),
  Job: z.looseObject({ spec: z.looseObject({ template }) }).transform((o) => o.spec.template.spec),
  CronJob: z
    .looseObject({ spec: z.looseObject({ jobTemplate: z.looseObject({ spec: z.looseObject({ template }) }) }) })
    .transform((o) => o.spec.jobTemplate.spec.template.spec),
};

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

/** The container images of a workload object of `kind`; throws K8sObjectError when the object has no readable pod spec. */
export function podTemplateImages(kind: string, object: unknown): ContainerImage[] {
  if (!isWorkloadKind(kind)) throw new K8sObjectError('K8S_KIND_UNSUPPORTED', `kind ${kind.slice(0, 64)} embeds no pod template chainwatch reads`);
  const parsed = SPEC_OF[kind].safeParse(object);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new K8sObjectError('K8S_OBJECT_MALFORMED', `${kind} has no readable pod spec (at ${where || 'the object'})`, { cause: parsed.error });
  }
  const spec = parsed.data;
  const at = (list: string, i: number): string => `${SPEC_POINTER[kind]}/${list}/${i}/image`;
  return [
    ...spec.initContainers.map((c, i) => ({ container: `init:${c.name}`, reference: c.image, pointer: at('initContainers', i) })),
    ...spec.containers.map((c, i) => ({ container: c.name, reference: c.image, pointer: at('containers', i) })),
    ...spec.ephemeralContainers.map((c, i) => ({ container: `ephemeral:${c.name}`, reference: c.image, pointer: at('ephemeralContainers', i) })),
  ];
}

/**
 * A container image as the k8s events carry it: the reference normalised as the kubelet would
 * (nginx -> docker.io/library/nginx:latest). Throws ImageReferenceError for a reference outside
 * the grammar. `digest` is only the one the reference pins; resolving a tag is the caller's job.
 */
export function describeImage(c: Pick<ContainerImage, 'container' | 'reference'>): WorkloadImage {
  const r = parseImageReference(c.reference, { normalise: true });
  return {
    container: c.container,
    reference: c.reference,
    registry: r.registry,
    repository: r.repository,
    ...(r.tag !== undefined ? { tag: r.tag } : {}),
    ...(r.digest !== undefined ? { digest: r.digest } : {}),
    resolvedFromTag: false,
  };
}
