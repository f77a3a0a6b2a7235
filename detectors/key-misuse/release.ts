import { formatDuration } from '../../core/index.js';
import { anyGlob, type SignerClaims } from '../../rules/identity/index.js';
import type { KeyMisuseConfig } from './config.js';
import type { Use } from './uses.js';

/**
 * Release correlation: what makes a new signer or a new repository EXPECTED. A signature is a
 * release when its Fulcio claims say a tag ref (refs/tags/*) from a release workflow
 * (`releaseWorkflows`, or any workflow when that is unset). A release of a repository (or of one in
 * the same related group) within `releaseWindow` before or after the signature, or a configured
 * release window covering it, makes it expected. Everything else is judged unexpected, and `why`
 * says in words what was missing.
 */
export class Releases {
  private readonly releaseWorkflow: (v: string | undefined) => boolean;
  private readonly groups: ((v: string | undefined) => boolean)[];
  private readonly windows: { match: (v: string | undefined) => boolean; from: number; to: number }[];

  constructor(private readonly cfg: KeyMisuseConfig) {
    this.releaseWorkflow = anyGlob(cfg.releaseWorkflows);
    this.groups = cfg.relatedRepositories.map((g) => anyGlob(g));
    this.windows = cfg.releaseWindows.map((w) => ({ match: anyGlob(w.repositories), from: Date.parse(w.from), to: Date.parse(w.to) }));
  }

  isRelease(c: SignerClaims): boolean {
    return c.ref?.startsWith('refs/tags/') === true && this.releaseWorkflow(c.workflowRef);
  }

  /** The same repository, or two repositories in one related group. */
  related(a: string, b: string): boolean {
    return a === b || this.groups.some((g) => g(a) && g(b));
  }

  /** Repositories a release of which counts for this use. */
  repositoriesOf(u: Use): string[] {
    return [...new Set([u.repository, u.claims.sourceRepository].filter((r): r is string => r !== undefined))];
  }

  /**
   * Expected or not, and why. `releases`: repository -> latest release time, for every repository
   * the state knows a release of (only related ones are consulted).
   */
  judge(u: Use, releases: ReadonlyMap<string, string>): { expected: boolean; why: string } {
    const c = u.claims;
    if (this.isRelease(c)) return { expected: true, why: `signed by the release workflow ${c.workflowRef ?? '?'} on the tag ${c.ref}` };
    const at = Date.parse(u.signedAt);
    const mine = this.repositoriesOf(u);
    for (const [repo, when] of releases) {
      if (!mine.some((m) => this.related(m, repo))) continue;
      if (Math.abs(at - Date.parse(when)) <= this.cfg.releaseWindow) return { expected: true, why: `a release of ${repo} was signed at ${when}` };
    }
    const w = this.windows.find((x) => mine.some((m) => x.match(m)) && at >= x.from && at <= x.to);
    if (w) return { expected: true, why: `inside a configured release window (${new Date(w.from).toISOString()} to ${new Date(w.to).toISOString()})` };
    const reasons = [
      mine.length > 0
        ? `no release of ${mine.join(' or ')} was seen within ${formatDuration(this.cfg.releaseWindow)}`
        : 'the signature names no repository to correlate with a release',
      refReason(c, this.releaseWorkflow),
      ...(this.windows.length > 0 ? [`no configured release window covers ${u.signedAt}`] : []),
    ];
    return { expected: false, why: reasons.join('; ') };
  }
}

function refReason(c: SignerClaims, releaseWorkflow: (v: string | undefined) => boolean): string {
  if (!c.ref) return 'the signer carries no CI workflow claims (not a release build)';
  if (!c.ref.startsWith('refs/tags/')) return `the workflow ref is a branch or other ref (${c.ref}), not a tag`;
  if (!releaseWorkflow(c.workflowRef)) return `the tag ${c.ref} was signed by ${c.workflowRef ?? 'an unnamed workflow'}, which is not a release workflow`;
  return 'not a release';
}
