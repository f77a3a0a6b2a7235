import {
  type AdmissionDecision,
  type AdmittedImage,
  describeError,
  type ImageRef,
  ImageReferenceError,
  imageSubject,
  type WorkloadImage,
} from '../../../core/index.js';
import { type ContainerImage, describeImage, isWorkloadKind, K8sObjectError, podTemplateImages } from '../shared/pod-template.js';
import type { AdmissionSection } from './config.js';
import type { TagResolver } from './resolve.js';
import type { AdmissionRequest } from './review.js';
import { type KnownVerdict, usable, type VerdictCache } from './verdicts.js';

/**
 * One admission decision, as a checklist:
 *   selectors (operation, sub-resource, kind, namespace, labels) -> images of the pod template
 *   -> per image, in parallel: parse -> resolve the tag -> cached verdict, else ask and wait
 *   -> combine: enforce failures deny, warn failures warn, no verdict in time follows onTimeout.
 * Everything waits on `signal`, which fires at the deadline: an image still unknown then is
 * `unknown`, and the answer goes out anyway.
 */
export interface DecidePorts {
  verdicts: VerdictCache;
  resolver: TagResolver;
  /** Publish registry.manifest.v1 {source: admission, action: verify} for the digest. */
  requestVerify(image: ImageRef, uid: string, signal: AbortSignal): Promise<void>;
  now(): number;
}

export interface Decided {
  decision: Omit<AdmissionDecision, 'latencyMs' | 'decidedAt' | 'webhook'>;
  /** Images whose tag was resolved to a verified digest: what mutate pins. */
  pins: { pointer: string; value: string }[];
}

interface Judged {
  image: AdmittedImage;
  pointer: string;
  /** Why this image denies the object, if it does. */
  deny?: string;
  warnings: string[];
  timedOut: boolean;
}

const matches = (labels: Record<string, string>, want: Record<string, string>): boolean => Object.entries(want).every(([k, v]) => labels[k] === v);

/** Why the request is not checked at all, or undefined when it is. */
export function skipReason(req: AdmissionRequest, section: Pick<AdmissionSection, 'namespaces' | 'labels'>): string | undefined {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return `operation ${req.operation} is not checked`;
  if (req.subResource !== undefined && req.subResource !== 'ephemeralcontainers') return `sub-resource ${req.subResource} is not checked`;
  if (!isWorkloadKind(req.kind.kind)) return `kind ${req.kind.kind} embeds no pod template`;
  const ns = req.namespace ?? '';
  if (section.namespaces.exclude.includes(ns)) return `namespace ${ns} is excluded`;
  if (section.namespaces.include.length > 0 && !section.namespaces.include.includes(ns)) return `namespace ${ns} is not included`;
  const labels = labelsOf(req.object);
  if (Object.keys(section.labels.skip).length > 0 && Object.entries(section.labels.skip).some(([k, v]) => labels[k] === v))
    return 'object carries a skip label';
  if (!matches(labels, section.labels.match)) return 'object does not carry the selected labels';
  return undefined;
}

function labelsOf(object: unknown): Record<string, string> {
  const labels = (object as { metadata?: { labels?: unknown } } | null)?.metadata?.labels;
  if (typeof labels !== 'object' || labels === null) return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export async function decide(req: AdmissionRequest, section: AdmissionSection, ports: DecidePorts, signal: AbortSignal): Promise<Decided> {
  const base = {
    cluster: section.cluster,
    uid: req.uid,
    operation: req.operation,
    kind: req.kind.kind,
    ...(req.namespace ? { namespace: req.namespace } : {}),
    ...(req.name ? { name: req.name } : {}),
    ...(req.userInfo?.username !== undefined ? { user: req.userInfo.username } : {}),
    dryRun: req.dryRun ?? false,
  };
  const skip = skipReason(req, section);
  if (skip !== undefined) return { decision: { ...base, allowed: true, images: [], warnings: [], reason: skip, deadlineExceeded: false }, pins: [] };

  let containers: ContainerImage[];
  try {
    containers = podTemplateImages(req.kind.kind, req.object);
  } catch (err) {
    if (!(err instanceof K8sObjectError)) throw err;
    return { decision: { ...base, allowed: false, images: [], warnings: [], reason: `${err.code}: ${err.message}`, deadlineExceeded: false }, pins: [] };
  }
  const judged = await Promise.all(containers.map((c) => judge(c, req.uid, section, ports, signal)));
  const denies = judged.flatMap((j) => (j.deny !== undefined ? [`${j.image.container}: ${j.deny}`] : []));
  const warnings = judged.flatMap((j) => j.warnings).slice(0, 64);
  const images = judged.flatMap((j) => (j.image.registry === '' ? [] : [j.image]));
  const deadlineExceeded = judged.some((j) => j.timedOut);
  const pins = judged.flatMap((j) =>
    j.image.resolvedFromTag && j.image.digest !== undefined && j.deny === undefined && j.image.verdict !== 'unknown'
      ? [{ pointer: j.pointer, value: `${j.image.reference.trim()}@${j.image.digest}` }]
      : [],
  );
  return {
    decision: {
      ...base,
      allowed: denies.length === 0,
      images,
      warnings,
      ...(denies.length > 0
        ? { reason: denies.join('; ').slice(0, 2000) }
        : judged.some((j) => j.image.verdict === 'unknown')
          ? { reason: `allowed without a verdict (onTimeout: allow): ${warnings.filter((w) => w.includes('onTimeout')).join('; ')}`.slice(0, 2000) }
          : {}),
      deadlineExceeded,
    },
    pins,
  };
}

/** One container's image: its verdict, and whether it denies or warns. */
async function judge(c: ContainerImage, uid: string, section: AdmissionSection, ports: DecidePorts, signal: AbortSignal): Promise<Judged> {
  let img: WorkloadImage;
  try {
    img = describeImage(c);
  } catch (err) {
    if (!(err instanceof ImageReferenceError)) throw err;
    // An unparseable reference cannot be verified (and the kubelet could not pull it): denied, with its code.
    const image = { ...c, registry: '', repository: '', resolvedFromTag: false, verdict: 'unknown' as const, cached: false, policies: [] };
    return {
      image,
      pointer: c.pointer,
      deny: `${err.code}: image reference ${JSON.stringify(c.reference.slice(0, 200))} refused`,
      warnings: [],
      timedOut: false,
    };
  }
  const unknown = (why: string, timedOut: boolean): Judged => {
    const image: AdmittedImage = { ...img, verdict: 'unknown', cached: false, policies: [] };
    if (section.onTimeout === 'deny') return { image, pointer: c.pointer, deny: why, warnings: [], timedOut };
    return { image, pointer: c.pointer, warnings: [`${c.container}: ${why}; allowed (onTimeout: allow)`], timedOut };
  };
  const warnings: string[] = [];
  if (img.digest === undefined) {
    const r = await ports.resolver.resolve(img.registry, img.repository, img.tag!, signal);
    switch (r.result) {
      case 'not_found':
        return {
          image: { ...img, verdict: 'unknown', cached: false, policies: [] },
          pointer: c.pointer,
          deny: `tag ${img.tag} not found in ${img.registry}/${img.repository}`,
          warnings: [],
          timedOut: false,
        };
      case 'error':
        return unknown(
          signal.aborted ? 'tag resolution did not finish before the deadline' : `tag resolution failed (${describeError(r.error).code ?? 'error'})`,
          signal.aborted,
        );
      case 'resolved':
        img = { ...img, digest: r.digest, resolvedFromTag: true };
        warnings.push(`${c.container}: chainwatch resolved ${c.reference} to ${r.digest}; pin the digest to run exactly what was verified`);
        break;
    }
  }
  const ref: ImageRef = { registry: img.registry, repository: img.repository, digest: img.digest! };
  let known = ports.verdicts.get(ref);
  let cached = true;
  if (!usable(known, ports.now())) {
    cached = false;
    known = await askAndWait(ref, uid, ports, signal);
    if (!known)
      return signal.aborted
        ? unknown('verification did not finish before the deadline', true)
        : unknown('the verification request could not be published (bus or component not running)', false);
  }
  const applied = apply(img, known, cached, section);
  return { ...applied, pointer: c.pointer, warnings: [...warnings, ...applied.warnings] };
}

/** Publishes the verify request and waits for a usable result (the waiter is set first, so a fast answer is not missed). */
async function askAndWait(ref: ImageRef, uid: string, ports: DecidePorts, signal: AbortSignal): Promise<KnownVerdict | undefined> {
  const local = new AbortController();
  const both = AbortSignal.any([signal, local.signal]);
  const subject = imageSubject(ref);
  try {
    const wait = (async () => {
      for (;;) {
        const v = await ports.verdicts.waitFor(subject, both);
        if (v === undefined || usable(v, ports.now())) return v;
        // A result that only reports registry trouble: keep waiting for a better one until the deadline.
      }
    })();
    // Not awaited: a publish that hangs (a bus in trouble) must not hold the answer past the deadline;
    // the wait ends with the signal. No request, no answer: a failed one ends the wait at once.
    ports.requestVerify(ref, uid, both).catch(() => local.abort());
    return await wait;
  } finally {
    local.abort();
  }
}

function apply(
  img: WorkloadImage,
  known: KnownVerdict,
  cached: boolean,
  section: AdmissionSection,
): Omit<Judged, 'pointer' | 'timedOut'> & { timedOut: false } {
  const image: AdmittedImage = {
    ...img,
    verdict: known.verdict,
    cached,
    policies: known.policies.slice(0, 64).map((p) => ({ policy: p.policy, mode: p.mode, result: p.result, failures: p.failures })),
  };
  const failed = known.policies.filter((p) => p.result === 'fail');
  const explain = (p: KnownVerdict['policies'][number]): string =>
    `policy ${p.policy} failed (${[...p.failures, ...p.reasons.slice(0, 1)].join(', ') || 'fail'})`;
  const enforced = failed.filter((p) => p.mode === 'enforce');
  const warnings = failed.filter((p) => p.mode === 'warn').map((p) => `${img.container}: ${explain(p)} [warn]`);
  if (enforced.length > 0) return { image, deny: enforced.map(explain).join('; '), warnings, timedOut: false };
  if (known.verdict === 'no_policy' && section.onNoPolicy === 'deny')
    return { image, deny: 'no policy applies to this image (onNoPolicy: deny)', warnings, timedOut: false };
  return { image, warnings, timedOut: false };
}
