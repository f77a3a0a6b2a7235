import type { ArtifactVerified, PolicyVerdict, Severity } from '../../core/index.js';
import type { KeyMisuseConfig } from './config.js';

/**
 * Policy and discovery findings of one artifact.verified event. Every failure kind of a failing
 * enforce or warn verdict is one finding per (digest, policy, failure): warn mode is the lower
 * severity. Discovery errors (a registry down) are infrastructure, never security.
 */
export const POLICY_FAILURES = ['unsigned', 'signer_not_allowed', 'threshold_not_met', 'condition_failed', 'attestation_missing', 'stage_missing'] as const;
export type PolicyFailure = (typeof POLICY_FAILURES)[number];
export const isPolicyFailure = (s: string): s is PolicyFailure => (POLICY_FAILURES as readonly string[]).includes(s);
/** A failure kind the contract does not list yet: still a finding (nothing accepted is lost). */
export const RULE_POLICY_OTHER = 'policy.failed';
export const RULE_DISCOVERY = 'registry.discovery_failed';

export interface PolicyConclusion {
  rule: string;
  severity: Severity;
  category: 'security' | 'infrastructure';
  dedup: string[];
  summary: string;
  description: string;
  evidence: Record<string, unknown>;
}

const WHAT: Record<PolicyFailure, string> = {
  unsigned: 'is not signed, but the policy requires a signature',
  signer_not_allowed: 'is signed only by signers the policy does not allow',
  threshold_not_met: 'has fewer satisfied authorities than the policy requires',
  condition_failed: 'has an attestation whose condition failed',
  attestation_missing: 'lacks an attestation the policy requires',
  stage_missing: 'lacks a required pipeline stage',
};

function explain(v: PolicyVerdict): string {
  const parts = [
    ...v.reasons,
    ...v.authorities.filter((a) => !a.satisfied).map((a) => `authority ${a.name}: ${a.reason}`),
    ...v.conditions.filter((c) => c.result !== 'pass').map((c) => `condition on ${c.predicateType} (${c.expression}) ${c.result}: ${c.reason}`),
    ...(v.threshold ? [`${v.threshold.satisfied} of ${v.threshold.required} required authorities satisfied`] : []),
  ];
  return parts.join('; ');
}

export function policyConclusions(cfg: KeyMisuseConfig, a: ArtifactVerified, subject: string): PolicyConclusion[] {
  const out: PolicyConclusion[] = [];
  for (const v of a.policies) {
    if (v.result !== 'fail') continue;
    const severity = v.mode === 'enforce' ? cfg.severity.policyEnforce : cfg.severity.policyWarn;
    const kinds = v.failures.length > 0 ? [...new Set(v.failures)] : ['unknown'];
    for (const f of kinds) {
      const rule = isPolicyFailure(f) ? `policy.${f}` : RULE_POLICY_OTHER;
      const what = isPolicyFailure(f) ? WHAT[f] : `failed (${f})`;
      out.push({
        rule,
        severity,
        category: 'security',
        dedup: [a.image.digest, v.policy, f],
        summary: `${subject} ${what} (policy ${v.policy}, ${v.mode})`,
        description: `Policy ${v.policy} (${v.mode} mode) failed for ${subject}: ${explain(v) || 'no reason given'}.${v.mode === 'warn' ? ' Warn mode: the image is not blocked.' : ''}`,
        evidence: {
          policy: v.policy,
          mode: v.mode,
          failure: f,
          authorities: v.authorities,
          conditions: v.conditions,
          reasons: v.reasons,
          ...(v.threshold ? { threshold: v.threshold } : {}),
          image: a.image,
          tags: a.tags,
          trigger: a.trigger,
        },
      });
    }
  }
  if (a.discoveryErrors.length > 0) {
    out.push({
      rule: RULE_DISCOVERY,
      severity: cfg.severity.discovery,
      category: 'infrastructure',
      dedup: [a.image.digest],
      summary: `Signature discovery for ${subject} failed: ${a.discoveryErrors.map((e) => e.code).join(', ')}`,
      description: `Signatures and attestations of ${subject} could not all be looked up (${a.discoveryErrors.map((e) => `${e.code}: ${e.message}`).join('; ')}). This is the registry's or network's trouble, not the artifact's; its verdict may be incomplete.`,
      evidence: { errors: a.discoveryErrors, image: a.image },
    });
  }
  return out;
}

/**
 * Signers the digest's own policies allow, by keyId (else fingerprint) -> "policy P (authority A)":
 * every signer an authority of an applicable policy accepted, whether or not the policy as a whole
 * passed (the second of a 2-of-3 is allowed before the quorum is reached).
 */
export function allowedSigners(a: ArtifactVerified): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of a.policies) {
    if (v.result === 'not_applicable') continue;
    for (const auth of v.authorities) for (const s of auth.signers ?? []) if (!out.has(s)) out.set(s, `policy ${v.policy} (authority ${auth.name})`);
  }
  return out;
}
