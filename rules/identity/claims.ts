import type { SignerIdentity } from '../../core/index.js';
import { FULCIO_EXTENSIONS as X } from './fulcio.js';

/**
 * The claims a policy talks about, derived once per signer from what the collector put in the
 * event: the `github` block when present, else the Fulcio extensions (v2 first, deprecated v1 as
 * fallback), else the SAN. Repositories are normalized to "host/owner/repo", lower-case.
 */
export interface SignerClaims {
  kind: SignerIdentity['kind'];
  san: string | undefined;
  issuer: string | undefined;
  fingerprint: string | undefined;
  /** "host/owner/repo" of the source repository that was built. */
  sourceRepository: string | undefined;
  /** Signing workflow as "owner/repo/.github/workflows/x.yml@ref" (GitHub) or its full URI. */
  workflowRef: string | undefined;
  ref: string | undefined;
  trigger: string | undefined;
  runnerEnvironment: string | undefined;
  sha: string | undefined;
  extensions: Record<string, string>;
}

const GITHUB_URI = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/(\.github\/workflows\/[^@]+@.+)$/;

export function claimsOf(s: SignerIdentity): SignerClaims {
  const ext = s.extensions ?? {};
  const gh = s.github ?? {};
  const issuer = s.issuer ?? ext[X['issuer-v2']] ?? ext[X.issuer];
  const sourceUri = ext[X['source-repository-uri']];
  const sourceRepository = normalizeRepository(sourceUri ?? gh.repository ?? ext[X['github-workflow-repository']] ?? repoFromSan(s.san));
  return {
    kind: s.kind,
    san: s.san,
    issuer,
    fingerprint: s.fingerprintSha256 ? normalizeFingerprint(s.fingerprintSha256) : undefined,
    sourceRepository,
    workflowRef: workflowRefOf(ext[X['build-signer-uri']] ?? (s.san && GITHUB_URI.test(s.san) ? s.san : undefined) ?? gh.workflowRef),
    ref: ext[X['source-repository-ref']] ?? gh.ref ?? ext[X['github-workflow-ref']],
    trigger: ext[X['build-trigger']] ?? gh.trigger ?? ext[X['github-workflow-trigger']],
    runnerEnvironment: ext[X['runner-environment']] ?? gh.runnerEnvironment,
    sha: ext[X['source-repository-digest']] ?? gh.sha ?? ext[X['github-workflow-sha']],
    extensions: ext,
  };
}

/** "https://github.com/Acme/App", "github.com/acme/app", "acme/app" -> "github.com/acme/app". */
export function normalizeRepository(v: string | undefined): string | undefined {
  if (!v) return undefined;
  let r = v
    .trim()
    .replace(/^https?:\/\//, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  if (r.split('/').length === 2) r = `github.com/${r}`; // bare owner/repo: GitHub is the only host that issues those claims
  return r.toLowerCase();
}

export function normalizeFingerprint(v: string): string {
  return v.replaceAll(':', '').toLowerCase();
}

function repoFromSan(san: string | undefined): string | undefined {
  return san ? GITHUB_URI.exec(san)?.[1] : undefined;
}

/** "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1" -> "o/r/.github/workflows/x.yml@refs/tags/v1". */
export function workflowRefOf(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const m = GITHUB_URI.exec(v);
  return m ? `${m[1]}/${m[2]}` : v.replace(/^https:\/\/github\.com\//, '');
}
