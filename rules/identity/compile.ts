import type { Severity, SignerIdentity } from '../../core/index.js';
import { claimsOf, normalizeFingerprint, normalizeRepository, type SignerClaims, workflowRefOf } from './claims.js';
import { PolicyError } from './errors.js';
import { FULCIO_EXTENSIONS, type FulcioExtensionName, resolveExtensionKey } from './fulcio.js';
import { anyGlob, globToRegExp, type Matcher } from './glob.js';
import type { ExpectedSigner, IdentityPolicy, Watch } from './schema.js';

/**
 * Compiles a validated policy into matchers, once, so that evaluating an entry is a handful of
 * precompiled regex tests per watch. Pure: no I/O, no clock.
 *
 * evaluate(signers) answers, for every (signer, watch) where the watch's `match` hits: was this
 * signer EXPECTED (and by which allowlist entry) or UNEXPECTED (and why each entry refused it)?
 */
export type MatcherKind = 'repository' | 'certIdentity' | 'subject' | 'fingerprint' | 'oid' | 'fulcioExtension';
export interface MatchReason {
  matcher: MatcherKind;
  pattern: string;
  value: string;
}
/** Why one allowlist entry did not allow the signer: the claims that failed its globs. */
export interface Refusal {
  expected: string;
  failed: string[];
}

export interface CompiledWatch {
  name: string;
  description: string | undefined;
  severity: Severity;
  onExpected: 'ignore' | 'record';
  labels: Record<string, string>;
}

export type Verdict =
  | { kind: 'expected'; watch: CompiledWatch; signerIndex: number; claims: SignerClaims; matchedBy: MatchReason[]; allowedBy: string }
  | { kind: 'unexpected'; watch: CompiledWatch; signerIndex: number; claims: SignerClaims; matchedBy: MatchReason[]; refusals: Refusal[] };

export interface CompiledPolicy {
  readonly watches: readonly CompiledWatch[];
  evaluate(signers: readonly SignerIdentity[]): Verdict[];
}

type Probe = (c: SignerClaims) => MatchReason[];
type Check = { field: string; test: (c: SignerClaims) => boolean };

export function compileIdentityPolicy(policy: IdentityPolicy): CompiledPolicy {
  const compiled = policy.watches.map((w, wi) => {
    const watch: CompiledWatch = {
      name: w.name,
      description: w.description,
      severity: w.severity ?? policy.defaults.severity,
      onExpected: w.onExpected ?? policy.defaults.onExpected,
      labels: w.labels ?? {},
    };
    return { watch, probes: compileMatch(w, wi), allow: w.expected.map((e) => ({ name: e.name, checks: compileExpected(e) })) };
  });

  return {
    watches: compiled.map((c) => c.watch),
    evaluate(signers) {
      const out: Verdict[] = [];
      signers.forEach((signer, signerIndex) => {
        const claims = claimsOf(signer);
        for (const { watch, probes, allow } of compiled) {
          const matchedBy = probes.flatMap((p) => p(claims));
          if (matchedBy.length === 0) continue;
          const refusals: Refusal[] = [];
          const allowedBy = allow.find((a) => {
            const failed = a.checks.filter((c) => !c.test(claims)).map((c) => c.field);
            if (failed.length > 0) refusals.push({ expected: a.name, failed });
            return failed.length === 0;
          });
          out.push(
            allowedBy
              ? { kind: 'expected', watch, signerIndex, claims, matchedBy, allowedBy: allowedBy.name }
              : { kind: 'unexpected', watch, signerIndex, claims, matchedBy, refusals },
          );
        }
      });
      return out;
    },
  };
}

// ---- match: rekor-monitor's monitored values ---------------------------------------------------

function compileMatch(w: Watch, wi: number): Probe[] {
  const m = w.match;
  const probes: Probe[] = [];
  const at = (...p: (string | number)[]) => ['watches', wi, 'match', ...p].join('.');

  for (const repo of m.repositories ?? []) {
    const test = anyGlob([repo], (s) => normalizeRepository(s) ?? s);
    probes.push((c) => (test(c.sourceRepository) ? [{ matcher: 'repository', pattern: repo, value: c.sourceRepository! }] : []));
  }
  (m.certIdentities ?? []).forEach((ci, i) => {
    const subject = regex(ci.certSubject, at('certIdentities', i, 'certSubject'));
    const issuers = ci.issuers?.map((iss, j) => regex(iss, at('certIdentities', i, 'issuers', j)));
    probes.push((c) => {
      if (c.kind !== 'certificate' || !c.san || !subject.test(c.san)) return [];
      // As in rekor-monitor: with issuers listed, a certificate without an issuer never matches.
      if (issuers && (!c.issuer || !issuers.some((re) => re.test(c.issuer!)))) return [];
      return [{ matcher: 'certIdentity', pattern: ci.certSubject, value: c.san }];
    });
  });
  (m.subjects ?? []).forEach((s, i) => {
    const re = regex(s, at('subjects', i));
    probes.push((c) => (c.kind !== 'certificate' && c.san && re.test(c.san) ? [{ matcher: 'subject', pattern: s, value: c.san }] : []));
  });
  if (m.fingerprints?.length) {
    const set = new Set(m.fingerprints.map(normalizeFingerprint));
    probes.push((c) => (c.fingerprint && set.has(c.fingerprint) ? [{ matcher: 'fingerprint', pattern: c.fingerprint, value: c.fingerprint }] : []));
  }
  for (const om of m.oidMatchers ?? []) {
    const values = new Set(om.extensionValues);
    probes.push((c) => {
      const v = c.extensions[om.oid];
      return v !== undefined && values.has(v) ? [{ matcher: 'oid', pattern: om.oid, value: v }] : [];
    });
  }
  for (const [name, vals] of Object.entries(m.fulcioExtensions ?? {})) {
    const oid = resolveExtensionKey(name);
    if (!oid)
      throw new PolicyError('POLICY_BAD_PATTERN', '<compiled>', [{ path: at('fulcioExtensions', name), message: `unknown Fulcio extension "${name}"` }]);
    const values = new Set(vals);
    probes.push((c) => {
      const v = c.extensions[oid];
      return v !== undefined && values.has(v) ? [{ matcher: 'fulcioExtension', pattern: `${name}`, value: v }] : [];
    });
  }
  return probes;
}

function regex(source: string, path: string): RegExp {
  try {
    return new RegExp(source, 'u');
  } catch (err) {
    throw new PolicyError('POLICY_BAD_PATTERN', '<compiled>', [{ path, message: (err as Error).message }], err);
  }
}

// ---- expected: the allowlist -------------------------------------------------------------------

function compileExpected(e: ExpectedSigner): Check[] {
  const checks: Check[] = [];
  const add = (field: string, globs: string[] | undefined, get: (c: SignerClaims) => string | undefined, norm?: (s: string) => string) => {
    if (globs === undefined) return;
    const m: Matcher = anyGlob(globs, norm);
    checks.push({ field, test: (c) => m(get(c)) });
  };
  add('issuers', e.issuers, (c) => c.issuer);
  add('sans', e.sans, (c) => c.san);
  add('refs', e.refs, (c) => c.ref);
  add('triggers', e.triggers, (c) => c.trigger);
  add(
    'repositories',
    e.repositories,
    (c) => c.sourceRepository,
    (s) => normalizeRepository(s) ?? s,
  );
  add('runnerEnvironments', e.runnerEnvironments, (c) => c.runnerEnvironment);
  if (e.fingerprints) {
    const set = new Set(e.fingerprints.map(normalizeFingerprint));
    checks.push({ field: 'fingerprints', test: (c) => c.fingerprint !== undefined && set.has(c.fingerprint) });
  }
  for (const [key, globs] of Object.entries(e.extensions ?? {})) {
    const oid = resolveExtensionKey(key) ?? FULCIO_EXTENSIONS[key as FulcioExtensionName];
    add(`extensions.${key}`, globs, (c) => c.extensions[oid]);
  }
  if (e.workflowRefs) {
    const tests = e.workflowRefs.map(workflowMatcher);
    checks.push({ field: 'workflowRefs', test: (c) => tests.some((t) => t(c)) });
  }
  return checks;
}

/**
 * ".github/workflows/release.yml@refs/tags/v*" is relative to the signature's source repository:
 * the signing workflow must live in the repository that was built. "owner/repo/.github/..." or
 * "https://github.com/owner/repo/.github/..." names the workflow's repository explicitly (a
 * reusable workflow such as slsa-github-generator). Owner/repo compare case-insensitively.
 */
function workflowMatcher(pattern: string): (c: SignerClaims) => boolean {
  const split = (v: string): [string, string] | undefined => {
    const i = v.indexOf('/.github/');
    return i < 0 ? undefined : [v.slice(0, i).toLowerCase(), v.slice(i + 1)];
  };
  if (pattern.startsWith('.github/')) {
    const rest = globToRegExp(pattern);
    return (c) => {
      const wf = c.workflowRef ? split(c.workflowRef) : undefined;
      const own = c.sourceRepository?.replace(/^github\.com\//, '');
      return wf !== undefined && own !== undefined && wf[0] === own && rest.test(wf[1]);
    };
  }
  const p = split(workflowRefOf(pattern) ?? pattern);
  if (!p) {
    const whole = globToRegExp(pattern);
    return (c) => c.workflowRef !== undefined && whole.test(c.workflowRef);
  }
  const repo = globToRegExp(p[0]);
  const rest = globToRegExp(p[1]);
  return (c) => {
    const wf = c.workflowRef ? split(c.workflowRef) : undefined;
    return wf !== undefined && repo.test(wf[0]) && rest.test(wf[1]);
  };
}
