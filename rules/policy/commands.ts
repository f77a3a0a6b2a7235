import { type CommandSpec, EXIT, type FoundAttestation, type FoundSignature, type Invocation, type PolicyVerdict, UsageError } from '../../core/index.js';
import { ImagePolicyError, formatIssue } from './errors.js';
import type { Facts } from './evaluate.js';
import { parseImageReference } from './image.js';
import { loadPolicies } from './loader.js';
import type { PolicySet } from './set.js';

/**
 * `chainwatch policy test` and `policy check`. Exit codes: 0 pass (test) / valid (check), 1 the
 * verdict is fail or no policy applies, 2 bad input (usage, a policy file that does not load, a
 * bundle or key that cannot be read). Bundles are verified by trust/ (injected: rules/ imports
 * only core), so this module stays a pure consumer of facts.
 */
export interface BundleFilesRequest {
  bundlePaths: readonly string[];
  keyPaths: readonly string[];
  digest: string;
  trustedRootPath: string | undefined;
}
export type LoadBundleFacts = (req: BundleFilesRequest) => Promise<Facts & { sources: { file: string; kind: 'signature' | 'attestation'; ref: string }[] }>;

export function policyCommands(loadBundleFacts: LoadBundleFacts): CommandSpec[] {
  const test: CommandSpec = {
    name: 'policy test',
    summary: 'Evaluate image policies offline against Sigstore bundles for one image digest',
    args: [{ name: 'POLICY', description: 'a policy file or a directory of them' }],
    options: {
      image: { type: 'string', placeholder: 'REF', description: 'the image, registry/repository[:tag]@sha256:<hex> (required)' },
      bundle: { type: 'string', multiple: true, placeholder: 'FILE', description: 'a Sigstore bundle: message signature = signature, DSSE = attestation' },
      key: { type: 'string', multiple: true, placeholder: 'PEM', description: 'a public key that may verify managed-key bundles' },
      'trusted-root': { type: 'string', placeholder: 'FILE', description: 'trusted_root.json (default: production via TUF, offline the embedded root)' },
    },
    json: true,
    description: 'Exit 0 when the verdict is pass, 1 when it is fail (or no policy applies), 2 on bad input. See docs/policy.md.',
    async run(inv) {
      const ref = inv.options.image as string | undefined;
      if (!ref) throw new UsageError('--image is required');
      const image = parseImageReference(ref);
      if (!image?.digest) throw new UsageError(`--image must be registry/repository[:tag]@sha256:<hex>, got ${JSON.stringify(ref)}`);
      const set = await loadOrReport(inv.args[0]!, inv);
      if (!set) return EXIT.usage;
      let facts: Awaited<ReturnType<LoadBundleFacts>>;
      try {
        facts = await loadBundleFacts({
          bundlePaths: (inv.options.bundle as string[] | undefined) ?? [],
          keyPaths: (inv.options.key as string[] | undefined) ?? [],
          digest: image.digest,
          trustedRootPath: inv.options['trusted-root'] as string | undefined,
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') {
          inv.io.err(`chainwatch policy test: cannot read ${(err as NodeJS.ErrnoException).path ?? 'an input file'}`);
          return EXIT.usage;
        }
        throw err;
      }
      const result = set.evaluate(image, facts);
      if (inv.json) inv.io.out(JSON.stringify({ image: ref, signatures: facts.signatures, attestations: facts.attestations, ...result }));
      else explain(inv, ref, facts, result.policies, result.verdict);
      return result.verdict === 'pass' ? EXIT.ok : EXIT.failed;
    },
  };

  const check: CommandSpec = {
    name: 'policy check',
    summary: 'Validate image policy files; exit 2 with file:line:col reasons',
    args: [{ name: 'POLICY', description: 'a policy file or a directory of them' }],
    json: true,
    async run(inv) {
      const set = await loadOrReport(inv.args[0]!, inv);
      if (!set) return EXIT.usage;
      const names = set.policies.map((p) => p.name);
      inv.io.out(
        inv.json
          ? JSON.stringify({ valid: true, policies: names, files: set.files })
          : `OK: ${names.length} policies (${names.join(', ')}) in ${set.files.length} file(s)`,
      );
      return EXIT.ok;
    },
  };
  return [test, check];
}

async function loadOrReport(path: string, inv: Invocation): Promise<PolicySet | undefined> {
  try {
    return await loadPolicies(path);
  } catch (err) {
    if (!(err instanceof ImagePolicyError)) throw err;
    if (inv.json) inv.io.out(JSON.stringify({ valid: false, code: err.code, issues: err.issues }));
    else for (const i of err.issues) inv.io.err(`${formatIssue(i)} [${err.code}]`);
    return undefined;
  }
}

function explain(inv: Invocation, ref: string, facts: Awaited<ReturnType<LoadBundleFacts>>, policies: PolicyVerdict[], verdict: string): void {
  const out = inv.io.out;
  out(`image ${ref}`);
  const all: (FoundSignature | FoundAttestation)[] = [...facts.signatures, ...facts.attestations];
  for (const s of facts.sources) {
    const f = all.find((x) => x.ref === s.ref)!;
    const what = s.kind === 'attestation' ? `attestation ${(f as FoundAttestation).predicateType}` : 'signature';
    const who = f.signer ? (f.signer.san ? `${f.signer.san} (${f.signer.issuer ?? 'no issuer'})` : `key ${f.signer.keyId ?? '?'}`) : '';
    const subject = s.kind === 'attestation' && !(f as FoundAttestation).subjectMatches ? ', subject does NOT name this digest' : '';
    out(
      `  ${s.file}: ${what}, ${f.verified ? `verified, signed by ${who}${subject}` : `NOT verified (${f.errorCode ?? 'error'}: ${f.error ?? ''})`} [${s.ref}]`,
    );
  }
  for (const p of policies) {
    out(
      `policy ${p.policy} (${p.mode}): ${p.result.toUpperCase()}${p.threshold ? ` [${p.threshold.satisfied} of ${p.threshold.required} required authorities]` : ''}`,
    );
    if (p.result === 'not_applicable') {
      out(`  ${p.reasons[0] ?? ''}`);
      continue;
    }
    for (const a of p.authorities)
      out(`  authority ${a.name}: ${a.satisfied ? 'satisfied' : 'NOT satisfied'}: ${a.reason}${a.matched.length ? ` (matched ${a.matched.join(', ')})` : ''}`);
    for (const c of p.conditions) out(`  condition on ${c.predicateType}${c.expression ? ` \`${c.expression}\`` : ''}: ${c.result}: ${c.reason}`);
    if (p.failures.length) out(`  failures: ${p.failures.join(', ')}`);
    for (const r of p.reasons) out(`  - ${r}`);
  }
  out(`verdict: ${verdict}`);
}
