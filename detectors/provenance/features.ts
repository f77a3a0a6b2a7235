import type { HistoryContext } from './history.js';
import { signerName } from './history.js';
import type { Provenance } from './normalize.js';

/**
 * The feature vector a model scores: FEATURES in this order, as float32. A model records the
 * FEATURE_SCHEMA_VERSION it was trained on and is refused when it differs (ModelError
 * MODEL_SCHEMA_MISMATCH): bump the version whenever a feature is added, removed, reordered or its
 * meaning changes. docs/provenance.md lists every feature.
 * "new for repo" features are 0 while the repository has no history (a first release is not an anomaly by itself).
 */
export const FEATURE_SCHEMA_VERSION = 1;

export const FEATURES = [
  'builder_trusted',
  'build_type_known',
  'builder_new_for_repo',
  'subject_repo_mismatch',
  'source_new_for_subject',
  'ref_tag',
  'ref_branch',
  'ref_pr',
  'workflow_repo_differs',
  'workflow_new_for_repo',
  'trigger_push',
  'trigger_release',
  'trigger_dispatch',
  'trigger_pr',
  'trigger_other',
  'trigger_new_for_repo',
  'runner_self_hosted',
  'runner_unknown',
  'materials_log',
  'materials_change',
  'materials_missing',
  'external_params',
  'signer_repo_mismatch',
  'signer_new_for_repo',
  'hour_sin',
  'hour_cos',
  'weekend',
  'hour_deviation',
  'days_since_previous_log',
  'history_log',
  'time_known',
] as const;
export type FeatureName = (typeof FEATURES)[number];
export const FEATURE_COUNT = FEATURES.length;
/** Position of each feature: looked up ~30 times per document (indexOf over the names was a hot spot). */
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.fromEntries(FEATURES.map((n, i) => [n, i])) as Record<FeatureName, number>;
export const featureIndex = (n: FeatureName): number => FEATURE_INDEX[n];

/** Builder ids of platforms that isolate builds (SLSA L3 builders and hosted CI), by prefix. */
export const TRUSTED_BUILDERS = [
  // slsa-github-generator and the project's trusted reusable workflows (example-trw); forks are other owners.
  'https://github.com/slsa-framework/',
  'https://github.com/actions/runner/github-hosted',
  'https://cloudbuild.googleapis.com/GoogleHostedWorker',
  'https://gitlab.com/gitlab-org/gitlab-runner',
  // The npm CLI's v0.2 provenance (2023) named the CLI, later ones the bare runner (exact below).
  'https://github.com/npm/cli@',
];
/** Builder ids trusted only when equal (a prefix would also admit .../self-hosted). */
const TRUSTED_EXACT = ['https://github.com/actions/runner'];

const KNOWN_BUILD_TYPES = [
  'https://github.com/slsa-framework/slsa-github-generator/',
  'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
  'https://actions.github.io/buildtypes/workflow/v1',
  'https://cloudbuild.googleapis.com/',
  'https://github.com/npm/cli/gha',
  'https://gitlab.com/gitlab-org/gitlab-runner/',
  'https://slsa-framework.github.io/gitlab-buildtypes/',
];

const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

export function builderTrusted(p: Provenance, extra: readonly string[] = []): boolean {
  const prefixed = (b: string) => p.builderId.startsWith(b);
  if (TRUSTED_EXACT.includes(p.builderId) || TRUSTED_BUILDERS.some(prefixed) || extra.some(prefixed)) return true;
  // GitHub artifact attestations name the workflow as the builder; GitHub itself built and signed it.
  return p.buildType === GITHUB_WORKFLOW_BUILD_TYPE && /^https:\/\/github\.com\/[^/]+\/[^/]+\/\.github\/workflows\/[^@]+@refs\//.test(p.builderId);
}

const owner = (repo: string | undefined) => repo?.split('/')[1];
const name = (repo: string | undefined) => repo?.split('/')[2];

/** 1 when a subject names an owner or package that the source repository does not match (npm scope/name, OCI path). */
export function subjectMismatch(p: Provenance): boolean {
  if (p.sourceRepo === undefined) return false;
  const o = owner(p.sourceRepo) ?? '';
  const n = name(p.sourceRepo) ?? '';
  return p.subjects.some((s) => {
    const npm = /^pkg:npm\/(?:%40|@)?([^/@]+)(?:\/([^@]+))?/.exec(s);
    if (npm) {
      const parts = [npm[1]!, npm[2]].filter((x): x is string => x !== undefined).map((x) => x.toLowerCase());
      return !parts.some((x) => x === o || n.includes(x) || x.includes(n));
    }
    // Only registries whose namespace is the GitHub owner: a cloud registry path names a cloud project, not a repository.
    const path = s
      .toLowerCase()
      .replace(/^[a-z]+:\/\//, '')
      .split('@')[0]!
      .split(':')[0]!
      .split('/');
    if (!['ghcr.io', 'docker.io', 'index.docker.io'].includes(path[0]!)) return false;
    return path.length >= 3 && !path.slice(1).some((x) => x === o || x === n);
  });
}

export function triggerClass(t: string | undefined): 'push' | 'release' | 'dispatch' | 'pr' | 'other' | undefined {
  if (t === undefined) return undefined;
  if (t === 'push') return 'push';
  if (t === 'release' || t === 'create' || t === 'tag' || t === 'trigger' || t === 'manual') return 'release';
  if (t === 'workflow_dispatch' || t === 'web' || t === 'api') return 'dispatch';
  if (/^pull_request|^merge_request/.test(t)) return 'pr';
  return 'other';
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
};

/** The feature vector of one document against its history. */
export function extractFeatures(p: Provenance, h: HistoryContext, extraTrusted: readonly string[] = []): Float32Array {
  const f = new Float32Array(FEATURE_COUNT);
  const set = (k: FeatureName, v: number | boolean) => void (f[FEATURE_INDEX[k]] = Number(v));
  const repo = h.repo;
  const seen = repo !== undefined && repo.releases.length > 0;
  set('builder_trusted', builderTrusted(p, extraTrusted));
  set(
    'build_type_known',
    KNOWN_BUILD_TYPES.some((b) => p.buildType.startsWith(b)),
  );
  set('builder_new_for_repo', seen && !repo.builders.includes(p.builderId));
  set('subject_repo_mismatch', subjectMismatch(p));
  set('source_new_for_subject', h.subjectRepo !== undefined && p.sourceRepo !== undefined && h.subjectRepo !== p.sourceRepo);
  set('ref_tag', p.refKind === 'tag');
  set('ref_branch', p.refKind === 'branch');
  set('ref_pr', p.refKind === 'pr');
  set('workflow_repo_differs', p.workflowRepo !== undefined && p.sourceRepo !== undefined && owner(p.workflowRepo) !== owner(p.sourceRepo));
  set('workflow_new_for_repo', seen && p.workflowPath !== undefined && !repo.workflows.includes(p.workflowPath));
  const tc = triggerClass(p.trigger);
  if (tc !== undefined) set(`trigger_${tc}`, 1);
  set('trigger_new_for_repo', seen && p.trigger !== undefined && !repo.triggers.includes(p.trigger));
  set('runner_self_hosted', p.runner === 'self-hosted');
  set('runner_unknown', p.runner === 'unknown');
  set('materials_log', Math.log1p(p.materialsCount));
  const prev = seen ? median(repo.releases.map((r) => r.materials)) : p.materialsCount;
  set('materials_change', Math.abs(Math.log1p(p.materialsCount) - Math.log1p(prev)));
  set('materials_missing', p.materialsCount === 0);
  set('external_params', Math.min(p.extraParameters.length, 5) / 5);
  set('signer_repo_mismatch', p.signerRepo !== undefined && p.sourceRepo !== undefined && p.signerRepo !== p.sourceRepo);
  const who = signerName(p);
  set('signer_new_for_repo', seen && who !== undefined && repo.signers.length > 0 && !repo.signers.includes(who));
  const t = p.time !== undefined ? Date.parse(p.time) : NaN;
  if (Number.isFinite(t)) {
    const d = new Date(t);
    const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
    set('hour_sin', Math.sin((2 * Math.PI * hour) / 24));
    set('hour_cos', Math.cos((2 * Math.PI * hour) / 24));
    set('weekend', d.getUTCDay() === 0 || d.getUTCDay() === 6);
    set('time_known', 1);
    const earlier = seen ? repo.releases.filter((r) => r.t > 0) : [];
    if (earlier.length >= 3) {
      const dist = earlier.map((r) => {
        const e = new Date(r.t);
        const x = Math.abs(hour - (e.getUTCHours() + e.getUTCMinutes() / 60));
        return Math.min(x, 24 - x);
      });
      set('hour_deviation', Math.min(...dist) / 12);
    }
    const last = earlier.at(-1);
    if (last !== undefined) set('days_since_previous_log', Math.log1p(Math.max(0, t - last.t) / 86_400_000));
  }
  set('history_log', Math.log1p(repo?.releases.length ?? 0));
  return f;
}
