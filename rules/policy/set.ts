import type { ArtifactVerified, ImageRef, PolicyVerdict } from '../../core/index.js';
import type { CompiledPolicy } from './compile.js';
import { evaluatePolicy, type Facts } from './evaluate.js';
import { imageName, parseImageReference } from './image.js';

export interface SetVerdict {
  policies: PolicyVerdict[];
  verdict: ArtifactVerified['verdict'];
}

/**
 * A loaded, validated set of policies (names unique, stages known and acyclic). evaluate() is what
 * the discovery component and the admission webhook call: every policy gets a verdict (those whose
 * images do not match: not_applicable), and the overall verdict is pass when every applicable
 * enforce policy passed, fail when one failed, no_policy when none applied (warn policies that
 * apply count as applied but never fail the verdict).
 */
export class PolicySet {
  readonly policies: readonly CompiledPolicy[];
  /** Files the set was loaded from (for `policy check` and reload reports). */
  readonly files: readonly string[];
  private readonly byName: ReadonlyMap<string, CompiledPolicy>;

  constructor(policies: readonly CompiledPolicy[], files: readonly string[] = []) {
    this.policies = policies;
    this.files = files;
    this.byName = new Map(policies.map((p) => [p.name, p]));
  }

  static empty(): PolicySet {
    return new PolicySet([]);
  }

  /** `image`: an ImageRef or a reference string "registry/repo[:tag][@digest]". */
  evaluate(image: Pick<ImageRef, 'registry' | 'repository'> | string, facts: Facts): SetVerdict {
    const name = typeof image === 'string' ? nameOf(image) : imageName(image);
    const memo = new Map<string, PolicyVerdict>();
    // A stage is evaluated on the same facts whatever its images say: it judges the same digest.
    const stage = (n: string): PolicyVerdict => {
      let v = memo.get(n);
      if (!v) {
        v = evaluatePolicy(this.byName.get(n)!, facts, stage);
        memo.set(n, v);
      }
      return v;
    };
    const policies = this.policies.map((p) => (p.appliesTo(name) ? stage(p.name) : notApplicable(p, name)));
    const applied = policies.filter((v) => v.result !== 'not_applicable');
    const verdict = applied.length === 0 ? 'no_policy' : applied.some((v) => v.mode === 'enforce' && v.result === 'fail') ? 'fail' : 'pass';
    return { policies, verdict };
  }
}

function nameOf(ref: string): string {
  const parsed = parseImageReference(ref);
  return parsed ? imageName(parsed) : ref;
}

function notApplicable(p: CompiledPolicy, name: string): PolicyVerdict {
  return {
    policy: p.name,
    mode: p.mode,
    result: 'not_applicable',
    authorities: [],
    conditions: [],
    failures: [],
    reasons: [`${name} matches none of the images ${p.images.join(', ')}`.slice(0, 1000)],
  };
}
