import {
  type ArtifactVerified,
  type FindingCategory,
  type KeyRevoked,
  revocationSubject,
  type Severity,
  type Workload,
  workloadKey,
} from '../../core/index.js';
import type { WorkloadsConfig } from './config.js';

/**
 * The conditions a running workload is judged on, one finding per condition per workload image
 * (dedup key = rule | workload | uid | digest). Pure functions of what the state remembers:
 *
 *   workload.policy_failed          the latest check of the image failed an enforce policy
 *   workload.unsigned               the latest complete check found no verified signature
 *   workload.signature_disappeared  an earlier check (while it ran) found one, the latest complete one none
 *   workload.signer_revoked         a verified signer of the image is revoked (key id or issuer+SAN)
 *   workload.unverifiable           infrastructure: no digest (tag unresolved) or discovery errors
 *   workload.admission_bypassed     a Pod created after the webhook was known active without an
 *                                   allowed decision (rule in admitted() below)
 *
 * "Complete" = the check had no discovery errors: a registry that is down says nothing about
 * signatures, so it neither fires nor resolves the signature conditions (it fires unverifiable).
 */
export const RULES = {
  policyFailed: 'workload.policy_failed',
  unsigned: 'workload.unsigned',
  signatureDisappeared: 'workload.signature_disappeared',
  signerRevoked: 'workload.signer_revoked',
  unverifiable: 'workload.unverifiable',
  admissionBypassed: 'workload.admission_bypassed',
} as const;

/** What the detector remembers of one image digest. */
export interface ImageFacts {
  registry: string;
  repository: string;
  digest: string;
  /** Absent until a check result arrived. */
  check?: {
    verdict: ArtifactVerified['verdict'];
    /** Enforce-mode policies that failed, with their failure kinds. */
    failing: { policy: string; failures: string[] }[];
    signers: { keyId?: string; issuer?: string; san?: string; signedAt?: string }[];
    discoveryErrors: string[];
    checkedAt: string;
    validUntil: string;
    causedBy: string;
  };
  /** A check while a workload ran it showed a verified signature. */
  signedSeen: boolean;
  requestedAt?: string;
}

export function factsFrom(prev: ImageFacts | undefined, a: ArtifactVerified, eventId: string): ImageFacts {
  const verified = a.signatures.filter((s) => s.verified);
  const complete = a.discoveryErrors.length === 0;
  return {
    registry: a.image.registry,
    repository: a.image.repository,
    digest: a.image.digest,
    signedSeen: (prev?.signedSeen ?? false) || verified.length > 0,
    ...(prev?.requestedAt ? { requestedAt: prev.requestedAt } : {}),
    check: {
      verdict: a.verdict,
      failing: a.policies.filter((p) => p.mode === 'enforce' && p.result === 'fail').map((p) => ({ policy: p.policy, failures: p.failures })),
      signers: verified.map((s) => ({
        ...(s.signer?.keyId ? { keyId: s.signer.keyId } : {}),
        ...(s.signer?.issuer ? { issuer: s.signer.issuer } : {}),
        ...(s.signer?.san ? { san: s.signer.san } : {}),
        ...(s.signedAt ? { signedAt: s.signedAt } : {}),
      })),
      // Keep the signers of the last complete check when this one could not look.
      ...(complete ? {} : { signers: prev?.check?.signers ?? [] }),
      discoveryErrors: a.discoveryErrors.map((e) => e.code),
      checkedAt: a.checkedAt,
      validUntil: a.validUntil,
      causedBy: eventId,
    },
  };
}

export interface Conclusion {
  rule: (typeof RULES)[keyof typeof RULES];
  severity: Severity;
  category: FindingCategory;
  dedup: string[];
  /** The image digest the condition is about (its check decides whether it may resolve). */
  digest?: string;
  summary: string;
  evidence: Record<string, unknown>;
}

/** Pods and workloads nobody controls are judged; a controller's children repeat its pod template. */
export function judged(w: Workload): boolean {
  return w.kind === 'Pod' || w.owner === undefined;
}

/** A Pod that finished (Succeeded/Failed) runs nothing any more. */
export function running(w: Workload): boolean {
  return w.phase !== 'Succeeded' && w.phase !== 'Failed';
}

export function imageConclusions(cfg: WorkloadsConfig, w: Workload, facts: (digest: string) => ImageFacts | undefined, revoked: KeyRevoked[]): Conclusion[] {
  const out: Conclusion[] = [];
  const key = workloadKey(w);
  for (const img of w.images) {
    const at = `${img.registry}/${img.repository}`;
    if (img.digest === undefined) {
      out.push({
        rule: RULES.unverifiable,
        severity: cfg.severity.unverifiable,
        category: 'infrastructure',
        dedup: [key, w.uid, img.reference],
        summary: `${key} runs ${img.reference}, which could not be resolved to a digest to verify`,
        evidence: { container: img.container, reference: img.reference },
      });
      continue;
    }
    const f = facts(img.digest);
    const c = f?.check;
    if (!c) continue; // asked for; judged when the answer arrives
    const base = {
      dedup: [key, w.uid, img.digest],
      digest: img.digest,
      evidence: { container: img.container, reference: img.reference, image: `${at}@${img.digest}`, checkedAt: c.checkedAt },
    };
    const complete = c.discoveryErrors.length === 0;
    if (!complete)
      out.push({
        ...base,
        rule: RULES.unverifiable,
        severity: cfg.severity.unverifiable,
        category: 'infrastructure',
        summary: `${key}: the image ${at}@${img.digest} could not be verified (${c.discoveryErrors.join(', ')})`,
        evidence: { ...base.evidence, discoveryErrors: c.discoveryErrors },
      });
    if (c.failing.length > 0)
      out.push({
        ...base,
        rule: RULES.policyFailed,
        severity: cfg.severity.policyFailed,
        category: 'security',
        summary: `${key} runs ${at}@${img.digest}, which fails ${c.failing.map((p) => p.policy).join(', ')}`,
        evidence: { ...base.evidence, policies: c.failing },
      });
    if (complete && c.signers.length === 0)
      out.push(
        f.signedSeen
          ? {
              ...base,
              rule: RULES.signatureDisappeared,
              severity: cfg.severity.signatureDisappeared,
              category: 'security',
              summary: `${key} runs ${at}@${img.digest}, whose signature has disappeared since it was verified`,
            }
          : {
              ...base,
              rule: RULES.unsigned,
              severity: cfg.severity.unsigned,
              category: 'security',
              summary: `${key} runs ${at}@${img.digest}, which has no verified signature`,
            },
      );
    for (const r of revoked) {
      const s = c.signers.find((x) => (r.kind === 'key' ? x.keyId === r.keyId : x.issuer === r.issuer && x.san === r.subject));
      if (!s) continue;
      out.push({
        ...base,
        dedup: [...base.dedup, revocationSubject(r)],
        rule: RULES.signerRevoked,
        severity: cfg.severity.signerRevoked,
        category: 'security',
        summary: `${key} runs ${at}@${img.digest}, signed by ${revocationSubject(r)}, revoked as of ${r.revokedAt}`,
        evidence: { ...base.evidence, revoked: revocationSubject(r), revokedAt: r.revokedAt, reason: r.reason, signedAt: s.signedAt },
      });
    }
  }
  return out;
}

export function bypassConclusion(cfg: WorkloadsConfig, w: Workload, admittedAt: string | undefined): Conclusion | undefined {
  if (admittedAt !== undefined) return undefined;
  const key = workloadKey(w);
  return {
    rule: RULES.admissionBypassed,
    severity: cfg.severity.admissionBypassed,
    category: 'security',
    dedup: [key, w.uid],
    summary: `${key} runs without an allowed admission decision by chainwatch, although the webhook was active when it was created`,
    evidence: { createdAt: w.createdAt, owner: w.owner, images: w.images.map((i) => i.reference) },
  };
}

/** The image references of a Pod as one key (sorted), to match a decision made before the Pod had a name. */
export function imagesKey(refs: string[]): string {
  return [...refs].sort().join('\n');
}
