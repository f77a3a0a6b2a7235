import { ChainwatchError, type Workload, type WorkloadImage, type WorkloadKind } from '../../../core/index.js';
import { describeImage, podTemplateImages } from '../shared/pod-template.js';

/**
 * Turns an API object (a list item or a watch event's object) into what a k8s.workload event
 * carries, and says what counts as a change: the images (as written, and the digests the kubelet
 * reported), the labels, the controller owner and the Pod phase. Status churn that touches none of
 * these (a Deployment's observedGeneration, conditions) is not a change.
 */
interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  creationTimestamp?: string | Date;
  ownerReferences?: { kind?: string; name?: string; uid?: string; controller?: boolean }[];
}

interface ApiObject {
  metadata?: Meta;
  status?: {
    phase?: string;
    containerStatuses?: { name?: string; imageID?: string }[];
    initContainerStatuses?: { name?: string; imageID?: string }[];
    ephemeralContainerStatuses?: { name?: string; imageID?: string }[];
  };
}

/** What stream.ts needs to identify an object before it reads anything else. */
export interface ObjectId {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
}

export function objectId(object: unknown): ObjectId | undefined {
  const m = (object as ApiObject | null)?.metadata;
  if (!m?.name || !m.uid || !m.resourceVersion) return undefined;
  return { namespace: m.namespace ?? '', name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
}

/** The resourceVersion of a BOOKMARK (its object carries only metadata). */
export function resourceVersionOf(object: unknown): string | undefined {
  return (object as ApiObject | null)?.metadata?.resourceVersion || undefined;
}

/** "docker-pullable://nginx@sha256:…", "docker.io/library/nginx@sha256:…" or "sha256:…" -> the digest. */
const IMAGE_ID_DIGEST = /(?:^|@)(sha256:[0-9a-f]{64})$/;

export interface Described {
  workload: Omit<Workload, 'observedAt'>;
  /** References the object names that are outside the reference grammar (not in `images`). */
  badImages: { container: string; code: string }[];
}

/**
 * Describes an object of `kind`. Throws K8sObjectError (from the shared extractor) when the object
 * has no readable pod spec; a single bad image reference is reported in `badImages` instead.
 */
export function describeObject(cluster: string, kind: WorkloadKind, object: unknown): Described {
  const o = object as ApiObject;
  const m = o.metadata ?? {};
  const id = objectId(object);
  if (!id) throw new ChainwatchError('K8S_OBJECT_MALFORMED', `${kind} without name, uid or resourceVersion`);
  const reported = kind === 'Pod' ? reportedDigests(o) : new Map<string, string>();
  const images: WorkloadImage[] = [];
  const badImages: Described['badImages'] = [];
  for (const c of podTemplateImages(kind, object)) {
    try {
      const img = describeImage(c);
      const fromKubelet = img.digest === undefined ? reported.get(c.container) : undefined;
      images.push(fromKubelet ? { ...img, digest: fromKubelet, resolvedFromTag: true } : img);
    } catch (err) {
      badImages.push({ container: c.container, code: err instanceof ChainwatchError ? (err as ChainwatchError).code : 'IMAGE_REF_INVALID' });
    }
  }
  const owner = m.ownerReferences?.find((r) => r.controller) ?? m.ownerReferences?.[0];
  const created = m.creationTimestamp === undefined ? undefined : new Date(m.creationTimestamp);
  return {
    workload: {
      cluster,
      kind,
      namespace: id.namespace,
      name: id.name,
      uid: id.uid,
      resourceVersion: id.resourceVersion,
      labels: { ...(m.labels ?? {}) },
      ...(owner?.kind && owner.name && owner.uid ? { owner: { kind: owner.kind, name: owner.name, uid: owner.uid } } : {}),
      images,
      ...(kind === 'Pod' && o.status?.phase ? { phase: o.status.phase } : {}),
      ...(created && !Number.isNaN(created.getTime()) ? { createdAt: created.toISOString() } : {}),
    },
    badImages,
  };
}

function reportedDigests(o: ApiObject): Map<string, string> {
  const out = new Map<string, string>();
  const add = (prefix: string, list: { name?: string; imageID?: string }[] | undefined): void => {
    for (const s of list ?? []) {
      const d = s.name && s.imageID ? IMAGE_ID_DIGEST.exec(s.imageID)?.[1] : undefined;
      if (d) out.set(`${prefix}${s.name}`, d);
    }
  };
  add('', o.status?.containerStatuses);
  add('init:', o.status?.initContainerStatuses);
  add('ephemeral:', o.status?.ephemeralContainerStatuses);
  return out;
}

/**
 * What a change is compared on; computed on describeObject's output, before chainwatch resolves any
 * tag: a tag that now points elsewhere is not a change of the object, a digest the kubelet reported is.
 */
export function changeKey(w: Pick<Workload, 'uid' | 'labels' | 'owner' | 'images' | 'phase'>): string {
  const images = w.images.map((i) => [i.container, i.reference, i.digest ?? '']);
  const labels = Object.entries(w.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([w.uid, labels, w.owner?.uid ?? '', images, w.phase ?? '']);
}
