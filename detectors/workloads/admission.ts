import { type Workload, workloadKey } from '../../core/index.js';
import type { WorkloadsConfig } from './config.js';
import type { WorkloadRecord, WorkloadsState } from './state.js';

/**
 * Did a Pod pass our admission webhook? The rule (docs/k8s-watch.md, "Admission bypass"):
 *
 *   Only Pods are judged (they are what runs), and only Pods created after the first admission
 *   decision of their cluster was seen (before that, the webhook was not known to be active), and
 *   only once `grace` has passed since their creation (decisions and workloads travel on different
 *   topics, without an order between them). A Pod counts as admitted when one of these holds:
 *     1. an allowed, non-dry-run CREATE decision named it (cluster, namespace, Pod, name);
 *     2. an allowed Pod CREATE decision WITHOUT a name (the API server admits a Pod made from
 *        generateName, as controllers make them, before naming it) in the same namespace, for the
 *        same set of image references, within `anonymousWindow` of the Pod's creation;
 *     3. its controller owner (ReplicaSet, Job...), or that owner's owner, was admitted by name
 *        (the controller's pod template was checked when the owner was created).
 *   Otherwise it bypassed admission: the webhook was skipped (namespace selector, failurePolicy
 *   Ignore on a timeout, a webhook configuration deleted and re-created) or someone wrote to etcd.
 */
export interface Admission {
  state: WorkloadsState;
  config: WorkloadsConfig['admission'];
}

export type AdmissionVerdict = 'admitted' | 'pending' | 'missing' | 'not-judged';

export async function admittedAt(a: Admission, w: Workload, now: Date, workloads: ReadonlyMap<string, WorkloadRecord>): Promise<AdmissionVerdict> {
  if (w.kind !== 'Pod' || w.createdAt === undefined) return 'not-judged';
  const since = await a.state.admissionSince(w.cluster);
  const created = Date.parse(w.createdAt);
  if (since === undefined || created < Date.parse(since)) return 'not-judged';
  if (await a.state.admitted(workloadKey(w))) return 'admitted';
  const refs = w.images
    .map((i) => i.reference)
    .sort()
    .join('\n');
  const anon = await a.state.anonymous(`${w.cluster}/${w.namespace}`, refs);
  if (anon.some((t) => Math.abs(Date.parse(t) - created) <= a.config.anonymousWindow)) return 'admitted';
  let owner = w.owner;
  for (let depth = 0; owner && depth < 3; depth++) {
    const key = `${w.cluster}/${w.namespace}/${owner.kind}/${owner.name}`;
    if (await a.state.admitted(key)) return 'admitted';
    owner = workloads.get(key)?.w.owner;
  }
  return now.getTime() - created < a.config.grace ? 'pending' : 'missing';
}
