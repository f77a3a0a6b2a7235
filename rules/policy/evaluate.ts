import type { ArtifactSigner, ArtifactVerified, FoundAttestation, FoundSignature, PolicyVerdict } from '../../core/index.js';
import type { CompiledAuthority, CompiledPolicy, CompiledRequirement } from './compile.js';

/**
 * Evaluates one compiled policy against the facts about one digest, as a checklist:
 *   authorities (each: signatures or its attestations) -> threshold -> policy attestations -> stages.
 * Only verified signatures and attestations count (verified = the signature checked against a
 * trusted key or chain AND covers this digest); attestations must also name the digest as subject.
 * Pure and synchronous: every regex and CEL program was compiled at load.
 */
export type Facts = Pick<ArtifactVerified, 'signatures' | 'attestations'>;
export type Failure = 'unsigned' | 'signer_not_allowed' | 'threshold_not_met' | 'condition_failed' | 'attestation_missing' | 'stage_missing';

type AuthorityVerdict = PolicyVerdict['authorities'][number];
type ConditionVerdict = PolicyVerdict['conditions'][number];

interface Tally {
  failures: Set<Failure>;
  reasons: string[];
  conditions: ConditionVerdict[];
}

export function evaluatePolicy(p: CompiledPolicy, facts: Facts, stage: (name: string) => PolicyVerdict): PolicyVerdict {
  const t: Tally = { failures: new Set(), reasons: [], conditions: [] };
  const signatures = facts.signatures.filter((s) => s.verified);
  const attestations = facts.attestations.filter((a) => a.verified && a.subjectMatches);
  const anyVerified = signatures.length > 0 || attestations.length > 0;

  // 1. Authorities, each on its own.
  const authorities = p.authorities.map((a) => evaluateAuthority(a, signatures, attestations, anyVerified, t));
  const satisfied = authorities.filter((a) => a.satisfied).length;
  const required = p.threshold ?? p.authorities.length;
  let ok = satisfied >= required;
  // Enough authorities: what the others lacked is reported per authority, not as a failure kind.
  if (ok) t.failures.clear();
  if (!ok && p.threshold !== undefined) {
    // Some authority accepted a signer: the signers present are allowed, what is missing is the quorum
    // (the other authorities' reasons stay in `authorities`). Only a digest no authority accepts is signer_not_allowed.
    if (satisfied > 0) t.failures.delete('signer_not_allowed');
    t.failures.add('threshold_not_met');
    t.reasons.push(`${satisfied} of ${p.authorities.length} authorities satisfied; the threshold is ${p.threshold}`);
  }
  if (!ok && p.threshold === undefined) t.reasons.push(`${p.authorities.length - satisfied} of ${p.authorities.length} required authorities not satisfied`);

  // 2. Policy-level attestations: signed by any of the policy's signer authorities (any verified signer when it has none).
  const signerAuthorities = p.authorities.filter((a) => a.kind !== 'static');
  const acceptedBy = (s: ArtifactSigner | undefined) => signerAuthorities.length === 0 || signerAuthorities.some((a) => a.accepts(s).ok);
  for (const req of p.attestations) {
    if (checkRequirement(req, attestations, acceptedBy, anyVerified, t, 'the policy') === undefined) ok = false;
  }

  // 3. Stages: the named policies must pass on the same facts.
  for (const name of p.requires) {
    const v = stage(name);
    if (v.result !== 'pass') {
      ok = false;
      t.failures.add('stage_missing');
      t.reasons.push(`stage "${name}" has not passed for this digest${v.reasons[0] ? `: ${v.reasons[0]}` : ''}`);
    }
  }
  if (ok) t.reasons.unshift(`passed: ${satisfied} of ${p.authorities.length} authorities satisfied`);

  return {
    policy: p.name,
    mode: p.mode,
    result: ok ? 'pass' : 'fail',
    ...(p.threshold !== undefined ? { threshold: { required: p.threshold, satisfied } } : {}),
    authorities,
    conditions: t.conditions,
    failures: ok ? [] : [...t.failures],
    reasons: t.reasons.map((r) => r.slice(0, 1000)),
  };
}

function evaluateAuthority(a: CompiledAuthority, sigs: FoundSignature[], atts: FoundAttestation[], anyVerified: boolean, t: Tally): AuthorityVerdict {
  switch (a.kind) {
    case 'static':
      if (!a.pass) t.failures.add('signer_not_allowed');
      return { name: a.name, satisfied: a.pass, matched: [], reason: a.pass ? 'static: pass' : 'static: fail (this authority never allows)' };
    case 'key':
    case 'keyless': {
      if (a.attestations.length > 0) {
        const refs = a.attestations.map((r) => checkRequirement(r, atts, (s) => a.accepts(s).ok, anyVerified, t, `authority "${a.name}"`));
        const ok = refs.every((r) => r !== undefined);
        return {
          name: a.name,
          satisfied: ok,
          matched: ok ? [...new Set(refs)] : [],
          reason: ok ? `${a.describe}: every required attestation present and its condition true` : `${a.describe}: an attestation requirement was not met`,
        };
      }
      const matched = sigs.filter((s) => a.accepts(s.signer).ok);
      if (matched.length > 0) {
        const signers = [...new Set(matched.flatMap((s) => s.signer?.keyId ?? s.signer?.fingerprintSha256 ?? []))].slice(0, 64);
        return {
          name: a.name,
          satisfied: true,
          matched: matched.map((s) => s.ref),
          signers,
          reason: `${a.describe}: ${matched.length} verified signature(s) match`,
        };
      }
      if (sigs.length === 0) {
        t.failures.add('unsigned');
        return { name: a.name, satisfied: false, matched: [], reason: `${a.describe}: no verified signature on this digest` };
      }
      t.failures.add('signer_not_allowed');
      const why = sigs.map((s) => a.accepts(s.signer)).flatMap((m) => (m.ok ? [] : [m.why]));
      return { name: a.name, satisfied: false, matched: [], reason: `${a.describe}: ${sigs.length} verified signature(s), none allowed (${why.join('; ')})` };
    }
  }
}

/**
 * One attestation requirement: some verified attestation of the type, by an accepted signer, whose
 * condition is true. The condition entry records the best outcome over the candidates
 * (pass > fail > error > missing) and why. Returns the ref of the attestation that met it.
 */
function checkRequirement(
  req: CompiledRequirement,
  atts: FoundAttestation[],
  accepted: (s: ArtifactSigner | undefined) => boolean,
  anyVerified: boolean,
  t: Tally,
  owner: string,
): string | undefined {
  const ofType = atts.filter((a) => a.predicateType === req.predicateType);
  const candidates = ofType.filter((a) => accepted(a.signer));
  const expression = req.condition?.expression ?? '';
  const record = (result: ConditionVerdict['result'], reason: string) =>
    t.conditions.push({ predicateType: req.predicateType, expression, result, reason: reason.slice(0, 1000) });
  if (candidates.length === 0) {
    const kind: Failure = !anyVerified ? 'unsigned' : ofType.length > 0 ? 'signer_not_allowed' : 'attestation_missing';
    t.failures.add(kind);
    const why = ofType.length > 0 ? `${ofType.length} verified attestation(s) of that type, none by a signer ${owner} allows` : 'none found';
    t.reasons.push(`${owner} requires a verified "${req.name}" attestation (${req.predicateType}): ${why}`);
    record('missing', `no verified attestation of type ${req.predicateType} from an allowed signer`);
    return undefined;
  }
  if (!req.condition) {
    record('pass', `${candidates[0]!.ref}: attestation present (no condition)`);
    return candidates[0]!.ref;
  }
  const outcomes = candidates.map((a) => ({ a, r: runCondition(req, a) }));
  const best = (['pass', 'fail', 'error', 'missing'] as const).find((k) => outcomes.some((o) => o.r.result === k))!;
  const o = outcomes.find((x) => x.r.result === best)!;
  record(best, `${o.a.ref}: ${o.r.reason}`);
  if (best === 'pass') return o.a.ref;
  t.failures.add('condition_failed');
  t.reasons.push(
    `${owner}: condition of "${req.name}" ${best === 'missing' ? 'could not be evaluated' : best === 'error' ? 'raised an error' : 'is false'}: ${o.r.reason}`,
  );
  return undefined;
}

function runCondition(req: CompiledRequirement, a: FoundAttestation): { result: ConditionVerdict['result']; reason: string } {
  const c = req.condition!;
  if (c.usesPredicate && a.predicate === undefined) {
    return { result: 'missing', reason: `the predicate (${a.predicateBytes} bytes) is not carried inline and the condition reads it` };
  }
  const out = c.evaluate({ predicate: a.predicate ?? null, summary: a.summary, predicateType: a.predicateType });
  switch (out.kind) {
    case 'true':
      return { result: 'pass', reason: `${c.expression} is true` };
    case 'false':
      return { result: 'fail', reason: `${c.expression} is false` };
    case 'error':
      return { result: 'error', reason: `evaluation error: ${out.message}` };
  }
}
