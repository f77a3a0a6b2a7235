import type { KeyRevoked, Severity } from '../../core/index.js';
import { anyGlob } from '../../rules/identity/index.js';
import type { KeyMisuseConfig } from './config.js';
import type { Use, UseRecord } from './uses.js';

/**
 * The key-misuse rules, as pure functions of one use and what the state knows. Each returns a
 * conclusion (rule, severity, summary, description saying why it is unexpected, evidence) or
 * nothing; findings.ts turns it into an event.
 */
export const KEY_RULES = [
  'key.revoked_use',
  'key.cert_validity',
  'key.unexpected_issuer',
  'key.outside_ci',
  'key.cross_repository',
  'key.resign_new_identity',
] as const;
export type KeyRule = (typeof KEY_RULES)[number];

export interface Conclusion {
  rule: KeyRule;
  severity: Severity;
  /** What this alert is one of (dedup key parts after the rule). */
  dedup: string[];
  summary: string;
  description: string;
  evidence: Record<string, unknown>;
}

const who = (u: Pick<UseRecord, 'label'>) => u.label.replace(/^(identity|key|fingerprint):/, '');

/**
 * key.revoked_use: signed at or after the revocation (a use seen live, or one from the history).
 * Transparency-log times are whole seconds (Rekor's integratedTime) while a revocation carries
 * milliseconds, so a signature logged in the same second as the revocation cannot be ordered
 * against it: it counts as after (a missed use of a revoked key costs more than one extra finding).
 * TSA and observed times have milliseconds and are compared as they are.
 */
export function revokedUse(u: UseRecord, subject: string, r: KeyRevoked): Conclusion | undefined {
  const revoked = Date.parse(r.revokedAt);
  const cutoff = u.timeSource === 'tlog' ? Math.floor(revoked / 1000) * 1000 : revoked;
  if (Date.parse(u.signedAt) < cutoff) return undefined;
  const when =
    u.timeSource === 'observed' ? `has no trusted signing time and was first seen at ${u.signedAt}` : `was signed at ${u.signedAt} (${u.timeSource} time)`;
  return {
    rule: 'key.revoked_use',
    severity: 'critical',
    dedup: [subject, u.subject],
    summary: `Revoked ${r.kind} ${who({ label: subject })} signed ${u.subject}`,
    description: `${u.subject} ${when}, at or after the revocation of ${subject} at ${r.revokedAt} by ${r.actor} (${r.reason}). A revoked ${r.kind} must never sign again: treat the artifact as untrusted.`,
    evidence: { revocation: r, use: u },
  };
}

/** key.cert_validity: a certificate whose validity does not cover a trusted signing time. */
export function certValidity(cfg: KeyMisuseConfig, u: Use): Conclusion | undefined {
  const { notBefore, notAfter } = u.signer;
  if (u.signer.kind !== 'certificate' || !notBefore || !notAfter) return undefined;
  const outside = u.times.filter((t) => Date.parse(t) < Date.parse(notBefore) || Date.parse(t) > Date.parse(notAfter));
  if (outside.length === 0) return undefined;
  return {
    rule: 'key.cert_validity',
    severity: cfg.severity.certValidity,
    dedup: [u.signer.fingerprintSha256 ?? u.label, u.subject],
    summary: `Certificate of ${who(u)} was not valid when ${u.subject} was signed`,
    description: `The signing certificate is valid from ${notBefore} to ${notAfter}, but the trusted signing time(s) ${outside.join(', ')} fall outside it: the signature was made with a certificate that was not (yet or any more) valid, or its timestamps are forged.`,
    evidence: { notBefore, notAfter, times: u.times, outside, signer: u.signer },
  };
}

/** key.unexpected_issuer: an OIDC issuer not in `expectedIssuers`. */
export function unexpectedIssuer(cfg: KeyMisuseConfig, u: Use): Conclusion | undefined {
  const issuer = u.claims.issuer;
  if (cfg.expectedIssuers.length === 0 || issuer === undefined || cfg.expectedIssuers.includes(issuer)) return undefined;
  return {
    rule: 'key.unexpected_issuer',
    severity: cfg.severity.unexpectedIssuer,
    dedup: [issuer, u.signer.san ?? u.label],
    summary: `${who(u)} signed ${u.subject} through an unexpected OIDC issuer ${issuer}`,
    description: `The certificate's OIDC issuer ${issuer} is not one of the expected issuers (${cfg.expectedIssuers.join(', ')}): someone obtained a signing certificate through a login this organisation does not sign with.`,
    evidence: { issuer, expectedIssuers: cfg.expectedIssuers, san: u.signer.san, signer: u.signer },
  };
}

/** key.outside_ci: an identity or repository that must be signed from CI, signed otherwise. */
export function outsideCi(cfg: KeyMisuseConfig, u: Use): Conclusion[] {
  const c = u.claims;
  const out: Conclusion[] = [];
  for (const req of cfg.ciRequirements) {
    const covers =
      (req.identities !== undefined && anyGlob(req.identities)(c.san)) ||
      (req.repositories !== undefined && [u.repository, c.sourceRepository].some((r) => anyGlob(req.repositories)(r)));
    if (!covers) continue;
    const problems: string[] = [];
    if (c.issuer !== req.issuer) problems.push(`the OIDC issuer is ${c.issuer ?? 'absent (a key, not a CI identity)'}, not the CI's ${req.issuer}`);
    if (c.runnerEnvironment === undefined) problems.push('the certificate carries no runner environment claim');
    else if (!req.runnerEnvironments.includes(c.runnerEnvironment))
      problems.push(`the runner environment is ${c.runnerEnvironment}, not ${req.runnerEnvironments.join(' or ')}`);
    if (req.triggers && !req.triggers.includes(c.trigger ?? ''))
      problems.push(`the workflow trigger is ${c.trigger ?? 'absent'}, not ${req.triggers.join(' or ')}`);
    if (req.workflowRefs && !anyGlob(req.workflowRefs)(c.workflowRef))
      problems.push(`the workflow ${c.workflowRef ?? '(none)'} is not one of ${req.workflowRefs.join(', ')}`);
    if (problems.length === 0) continue;
    out.push({
      rule: 'key.outside_ci',
      severity: cfg.severity.outsideCi,
      dedup: [req.name, u.label, u.subject],
      summary: `${who(u)} signed ${u.subject} outside CI (requirement ${req.name})`,
      description: `Requirement ${req.name} says this must be signed from CI, but ${problems.join('; ')}.`,
      evidence: {
        requirement: req,
        claims: {
          issuer: c.issuer,
          san: c.san,
          runnerEnvironment: c.runnerEnvironment,
          trigger: c.trigger,
          workflowRef: c.workflowRef,
          ref: c.ref,
          sourceRepository: c.sourceRepository,
        },
        problems,
      },
    });
  }
  return out;
}

/** key.cross_repository: a key or identity signing for a repository unrelated to every one it signed for before. */
export function crossRepository(
  cfg: KeyMisuseConfig,
  u: Use,
  prior: string[],
  related: (a: string, b: string) => boolean,
  expectation: { expected: boolean; why: string },
): Conclusion | undefined {
  const repo = u.repository;
  if (repo === undefined || prior.length === 0 || prior.some((p) => related(p, repo)) || expectation.expected) return undefined;
  return {
    rule: 'key.cross_repository',
    severity: cfg.severity.crossRepository,
    dedup: [u.label, repo],
    summary: `${who(u)} signed for ${repo}, unrelated to the repositories it signed for before`,
    description: `${who(u)} never signed for ${repo} before (first seen for ${prior.slice(0, 5).join(', ')}${prior.length > 5 ? ', ...' : ''}, none related to it); ${expectation.why}.`,
    evidence: { repository: repo, previously: prior, signer: u.signer },
  };
}

/** key.resign_new_identity: a digest signed again by an identity that had not signed it, without a release. */
export function resignNewIdentity(cfg: KeyMisuseConfig, u: Use, prior: string[], expectation: { expected: boolean; why: string }): Conclusion | undefined {
  if (u.digest === undefined || prior.length === 0 || prior.includes(u.label) || expectation.expected) return undefined;
  return {
    rule: 'key.resign_new_identity',
    severity: cfg.severity.resignNewIdentity,
    dedup: [u.digest, u.label],
    summary: `${u.digest} was re-signed by a new identity ${who(u)}`,
    description: `${u.digest} was signed before only by ${prior.map((p) => who({ label: p })).join(', ')}; now ${who(u)} signed it too; ${expectation.why}.`,
    evidence: { digest: u.digest, previousSigners: prior, signer: u.signer },
  };
}
