import type { ProvenanceInput } from '../../detectors/provenance/index.js';
import { extractFeatures, contextFor, MemoryHistoryStore, recordRelease, normalizeProvenance } from '../../detectors/provenance/index.js';
import { type Release, render } from './render.js';
import { TEMPLATE_KINDS, type TemplateKind } from './templates.js';

/**
 * The synthetic provenance history the default model learns from: `repos` repositories, each with
 * a stable profile (template, workflow, trigger, ref style, usual hour, cadence, dependency count,
 * signer), releasing `releases` times with small natural jitter. Anomalies are the last release of
 * a held-out repository with one profile trait replaced (ANOMALY_KINDS).
 * Train and evaluation are kept apart by construction: different seeds give disjoint repository
 * names (prefix per split), and the real documents of ../shared/realdata are never in training.
 */
export const ANOMALY_KINDS = [
  'untrusted_builder',
  'self_hosted_runner',
  'repository_mismatch',
  'fork_workflow',
  'missing_materials',
  'odd_trigger',
  'unusual_hour',
  'new_signer',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface Sample {
  repo: string;
  label: 'normal' | AnomalyKind;
  doc: ProvenanceInput;
  features: Float32Array;
}

/** mulberry32: small, seeded, good enough for jitter. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BUILDERS: Record<TemplateKind, (o: string, r: string) => string> = {
  'gha-generic-v02': () => 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
  'gha-workflow-v1': () => 'https://github.com/actions/runner/github-hosted',
  'github-attestation-v1': (o, r) => `https://github.com/${o}/${r}/.github/workflows/release.yml@refs/heads/main`,
  'gcb-v01': () => 'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.3',
  'gitlab-v1': () => 'https://gitlab.com/gitlab-org/gitlab-runner/-/runners/12345678',
};
const TRIGGERS: Record<TemplateKind, string[]> = {
  'gha-generic-v02': ['push', 'workflow_dispatch', 'release'],
  'gha-workflow-v1': ['push', 'release', 'workflow_dispatch'],
  'github-attestation-v1': ['workflow_dispatch', 'push', 'release'],
  'gcb-v01': ['trigger', 'manual'],
  'gitlab-v1': ['push', 'web'],
};
const ODD_TRIGGER: Record<TemplateKind, string> = {
  'gha-generic-v02': 'pull_request_target',
  'gha-workflow-v1': 'issue_comment',
  'github-attestation-v1': 'pull_request_target',
  'gcb-v01': 'manual',
  'gitlab-v1': 'merge_request_event',
};

interface Profile {
  kind: TemplateKind;
  owner: string;
  repo: string;
  workflow: string;
  trigger: string;
  tags: boolean;
  hour: number;
  cadenceDays: number;
  materials: number;
  subject: (v: number) => string;
  extra: Record<string, string>;
}

function profile(split: string, i: number, rand: () => number): Profile {
  const kind = TEMPLATE_KINDS[i % TEMPLATE_KINDS.length]!;
  const owner = `${split}-org${Math.floor(i / 3)}`;
  const repo = `${split}-project${i}`;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const sizes = [1, 2, 3, 8, 25, 60, 150];
  const subjects: ((v: number) => string)[] = [
    (v) => `pkg:npm/@${owner}/${repo}@1.${v}.0`,
    (v) => `ghcr.io/${owner}/${repo}:v1.${v}.0`,
    (v) => `${repo}-linux-amd64-v1.${v}.0`,
  ];
  return {
    kind,
    owner,
    repo,
    workflow:
      kind === 'gcb-v01'
        ? 'cloudbuild.yaml'
        : kind === 'gitlab-v1'
          ? pick(['build', 'release-job'])
          : `.github/workflows/${pick(['release', 'publish', 'build', 'ci'])}.yml`,
    trigger: pick(TRIGGERS[kind]),
    tags: rand() < 0.7,
    hour: 6 + rand() * 12,
    cadenceDays: pick([2, 7, 14, 30]),
    materials: pick(sizes),
    subject: pick(subjects),
    extra: rand() < 0.2 ? { release_version: 'x' } : {},
  };
}

/**
 * Normal life of a repository, rare but real: a renamed workflow (which also changes the signing
 * identity), a manual re-run with another trigger, a hotfix outside the usual hours, a dependency
 * bump. Without them the training data would never vary these features and the model could not
 * tell a rare benign change from an attack.
 */
function drift(p: Profile, rand: () => number): void {
  if (rand() < 0.03 && p.kind !== 'gcb-v01') p.workflow = p.workflow.replace(/(\.yml)?$/, (m) => `-v${Math.floor(rand() * 9)}${m}`);
  if (rand() < 0.03) p.trigger = TRIGGERS[p.kind][Math.floor(rand() * TRIGGERS[p.kind].length)]!;
  if (rand() < 0.03) p.materials = Math.max(1, Math.round(p.materials * (0.8 + rand() * 0.5)));
}

function release(p: Profile, v: number, t: Date, rand: () => number): Release {
  const host = p.kind === 'gitlab-v1' ? 'gitlab.com' : 'github.com';
  const jitter = p.materials <= 3 ? 0 : Math.round((rand() - 0.5) * 0.1 * p.materials);
  const san =
    host === 'gitlab.com'
      ? `https://gitlab.com/${p.owner}/${p.repo}//.gitlab-ci.yml@${p.tags ? 'refs/tags/' : 'refs/heads/main'}`
      : `https://github.com/${p.owner}/${p.repo}/${p.workflow}@refs/heads/main`;
  return {
    kind: p.kind,
    host,
    owner: p.owner,
    repo: p.repo,
    workflowOwner: p.owner,
    ref: p.tags ? `refs/tags/v1.${v}.0` : 'refs/heads/main',
    workflowPath: p.workflow,
    trigger: p.trigger,
    selfHosted: false,
    materials: p.materials + jitter,
    builderId: BUILDERS[p.kind](p.owner, p.repo),
    time: t,
    subject: p.subject(v),
    extraParams: p.extra,
    signerRepo: `${host}/${p.owner}/${p.repo}`,
    signerSan: san,
  };
}

/** One anomalous variant of a normal release (the trait an attacker would change). */
export function inject(r: Release, kind: AnomalyKind, rand: () => number): Release {
  switch (kind) {
    case 'untrusted_builder':
      // A fork of a trusted builder (as in the real slsa-verifier "untrusted builder" case), or a builder of nobody's platform.
      return {
        ...r,
        builderId:
          rand() < 0.5 && r.kind !== 'github-attestation-v1'
            ? `https://github.com/${r.owner}-ci/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v1.4.0`
            : `https://builder.${r.owner}.example/ci@v1`,
      };
    case 'self_hosted_runner':
      return { ...r, selfHosted: true, builderId: r.kind === 'gha-workflow-v1' ? 'https://github.com/actions/runner/self-hosted' : r.builderId };
    case 'repository_mismatch':
      return { ...r, owner: 'someone-else', signerRepo: `${r.host}/someone-else/${r.repo}`, signerSan: r.signerSan.replace(r.owner, 'someone-else') };
    case 'fork_workflow':
      return { ...r, workflowOwner: `${r.owner}-fork`, workflowPath: '.github/workflows/fork-release.yml', signerRepo: `${r.host}/${r.owner}-fork/${r.repo}` };
    case 'missing_materials':
      return { ...r, materials: r.materials > 3 ? 0 : rand() < 0.5 ? 0 : r.materials + 120 };
    case 'odd_trigger':
      return { ...r, trigger: ODD_TRIGGER[r.kind], ref: r.kind === 'gcb-v01' ? 'refs/heads/feature-x' : 'refs/pull/42/merge' };
    case 'unusual_hour': {
      const t = new Date(r.time);
      t.setUTCHours(Math.floor((t.getUTCHours() + 10 + rand() * 4) % 24));
      return { ...r, time: t };
    }
    case 'new_signer':
      return {
        ...r,
        signerSan: `https://github.com/${r.owner}/${r.repo}/.github/workflows/unknown-${Math.floor(rand() * 1e6)}.yml@refs/heads/dev`,
        signerRepo: `${r.host}/${r.owner}/${r.repo}`,
      };
  }
}

async function featuresOf(store: MemoryHistoryStore, doc: ProvenanceInput, record: boolean): Promise<Float32Array> {
  const p = normalizeProvenance(doc);
  const ctx = await contextFor(store, p);
  const f = extractFeatures(p, ctx);
  if (record) await recordRelease(store, p, ctx);
  return f;
}

export interface CorpusOptions {
  split: string;
  seed: number;
  repos: number;
  releases: number;
  /** Add one anomaly of every kind after each repository's history (evaluation only). */
  anomalies: boolean;
}

export async function generateCorpus(templates: Record<TemplateKind, Record<string, unknown>>, o: CorpusOptions): Promise<Sample[]> {
  const rand = rng(o.seed);
  const out: Sample[] = [];
  const start = Date.UTC(2025, 0, 1);
  for (let i = 0; i < o.repos; i++) {
    const prof = profile(o.split, i, rand);
    const store = new MemoryHistoryStore();
    let t = start + rand() * 30 * 86_400_000;
    let last: Release | undefined;
    for (let v = 0; v < o.releases; v++) {
      const day = new Date(t);
      day.setUTCHours(0, 0, 0, 0);
      drift(prof, rand);
      const offHours = rand() < 0.02 ? (rand() - 0.5) * 12 : 0;
      const when = new Date(day.getTime() + (prof.hour + (rand() - 0.5) * 3 + offHours) * 3_600_000);
      last = release(prof, v, when, rand);
      const doc = render(templates[prof.kind], last);
      out.push({ repo: prof.repo, label: 'normal', doc, features: await featuresOf(store, doc, true) });
      t += prof.cadenceDays * 86_400_000 * (0.6 + rand() * 0.8);
    }
    if (!o.anomalies || last === undefined) continue;
    const next = {
      ...last,
      time: new Date(last.time.getTime() + prof.cadenceDays * 86_400_000),
      ref: last.ref.replace(/v1\.(\d+)\.0/, (_, n) => `v1.${Number(n) + 1}.0`),
    };
    for (const kind of ANOMALY_KINDS) {
      // Cloud Build has no self-hosted runners and no pull-request trigger in its provenance: nothing to inject.
      // Its source is only a material, so a repository mismatch is the fork case.
      if (prof.kind === 'gcb-v01' && (kind === 'self_hosted_runner' || kind === 'odd_trigger' || kind === 'repository_mismatch')) continue;
      const doc = render(templates[prof.kind], inject(next, kind, rand));
      out.push({ repo: prof.repo, label: kind, doc, features: await featuresOf(store, doc, false) });
    }
  }
  return out;
}
