import type { SignerIdentity } from '../../core/index.js';
import type { ProvenanceInput } from './document.js';
import { ProvenanceError } from './errors.js';

/**
 * One provenance document reduced to the facts the features are made of, whatever SLSA version
 * or builder wrote it. Field sources per shape:
 *   SLSA v1 (GitHub workflow build types, npm, GitHub attestations, GitLab):
 *     builder = runDetails.builder.id; source = externalParameters.workflow.repository or
 *     .source / resolvedDependencies[0]; ref = workflow.ref; workflow = workflow.path;
 *     trigger = internalParameters.github.event_name (GitLab: CI_PIPELINE_SOURCE);
 *     runner = internalParameters.github.runner_environment; materials = resolvedDependencies.
 *   SLSA v0.2 (slsa-github-generator, npm CLI): builder.id; source = invocation.configSource.uri;
 *     workflow = configSource.entryPoint; trigger/runner = invocation.environment github_*;
 *     materials = materials; time = metadata.buildStartedOn.
 *   SLSA v0.1 (Google Cloud Build): builder.id; source = materials[0].uri; ref = TAG_NAME/BRANCH_NAME substitutions.
 */
export type SlsaVersion = 'v0.1' | 'v0.2' | 'v1';
export type RefKind = 'tag' | 'branch' | 'pr' | 'other' | 'none';
export type RunnerKind = 'hosted' | 'self-hosted' | 'unknown';

export interface Provenance {
  slsaVersion: SlsaVersion;
  builderId: string;
  buildType: string;
  subjects: string[];
  /** Normalised "host/owner/repo" (lower case, no scheme, no .git), or undefined. */
  sourceRepo: string | undefined;
  /** Repository the workflow file came from (differs from sourceRepo for reusable/fork workflows). */
  workflowRepo: string | undefined;
  ref: string | undefined;
  refKind: RefKind;
  workflowPath: string | undefined;
  trigger: string | undefined;
  runner: RunnerKind;
  materialsCount: number;
  /** Names of external parameters beyond the ones every build of that type has (workflow ref/path/repo). */
  extraParameters: string[];
  /** When the build ran: predicate metadata, else the container's signing time. ISO 8601. */
  time: string | undefined;
  signer: SignerIdentity | undefined;
  /** Repository the signer's certificate names (Fulcio source repository claim), normalised. */
  signerRepo: string | undefined;
}

export const SLSA_PREDICATES: Record<string, SlsaVersion> = {
  'https://slsa.dev/provenance/v0.1': 'v0.1',
  'https://slsa.dev/provenance/v0.2': 'v0.2',
  'https://slsa.dev/provenance/v1': 'v1',
  // The v1 release candidate slsa-github-generator's container-based builder emitted; same shape as v1.
  'https://slsa.dev/provenance/v1.0?draft': 'v1',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), v);

export function normalizeProvenance(input: ProvenanceInput): Provenance {
  const s = input.statement;
  const version = SLSA_PREDICATES[String(s.predicateType)];
  if (version === undefined)
    throw new ProvenanceError('PROVENANCE_UNKNOWN_PREDICATE', `predicate type ${String(s.predicateType).slice(0, 120)} is not SLSA provenance`);
  // Cloud Build's v0.1 statements keep the predicate under slsaProvenance.
  const p = isObj(s.predicate) ? s.predicate : isObj(s.slsaProvenance) ? s.slsaProvenance : undefined;
  if (!p) throw new ProvenanceError('PROVENANCE_INVALID_PREDICATE', 'statement has no predicate object');
  const subjects = (s.subject as unknown[]).map((x) => str(at(x, 'name')) ?? '').filter((n) => n !== '');
  const facts = version === 'v1' ? fromV1(p) : fromV0(p, version);
  if (!facts.builderId) throw new ProvenanceError('PROVENANCE_INVALID_PREDICATE', 'predicate has no builder id');
  const signerRepo = normalizeRepo(input.signer?.github?.repository ?? input.signer?.extensions['1.3.6.1.4.1.57264.1.12']);
  return {
    ...facts,
    builderId: facts.builderId,
    slsaVersion: version,
    subjects,
    time: facts.time ?? input.signedAt ?? input.signer?.notBefore,
    signer: input.signer,
    signerRepo,
    refKind: refKind(facts.ref, facts.trigger),
  };
}

type Facts = Omit<Provenance, 'slsaVersion' | 'subjects' | 'signer' | 'signerRepo' | 'refKind' | 'builderId'> & { builderId: string | undefined };

function fromV1(p: Obj): Facts {
  const ext = at(p, 'buildDefinition', 'externalParameters');
  const internal = at(p, 'buildDefinition', 'internalParameters');
  const deps = at(p, 'buildDefinition', 'resolvedDependencies');
  const wf = at(ext, 'workflow');
  const gh = at(internal, 'github');
  const gitlab = at(internal, 'gitlab') ?? at(ext, 'gitlab');
  const sys = at(p, 'buildDefinition', 'systemParameters');
  // The v1.0 draft kept the source under externalParameters.source.artifact and GitHub's variables as {value} pairs.
  const firstDep = (Array.isArray(deps) ? str(at(deps[0], 'uri')) : undefined) ?? str(at(ext, 'source', 'artifact', 'uri'));
  const workflowRepo = normalizeRepo(str(at(wf, 'repository')) ?? str(at(ext, 'source')) ?? firstDep);
  const sourceRepo = normalizeRepo(firstDep ?? str(at(ext, 'source')) ?? str(at(wf, 'repository')));
  const standard = new Set(['workflow', 'source', 'entryPoint', 'gitlab', 'workflowPath', 'ref']);
  const extra = isObj(ext)
    ? Object.keys(ext).filter(
        (k) => !standard.has(k) || (k === 'workflow' && isObj(wf) && Object.keys(wf).some((w) => !['ref', 'repository', 'path'].includes(w))),
      )
    : [];
  const runnerEnv = str(at(gh, 'runner_environment')) ?? str(at(gitlab, 'runner_type')) ?? str(at(internal, 'runner_environment'));
  return {
    builderId: str(at(p, 'runDetails', 'builder', 'id')),
    buildType: str(at(p, 'buildDefinition', 'buildType')) ?? '',
    sourceRepo,
    workflowRepo,
    ref: str(at(wf, 'ref')) ?? refOfUri(firstDep) ?? str(at(ext, 'ref')),
    workflowPath: str(at(wf, 'path')) ?? str(at(ext, 'entryPoint')) ?? str(at(ext, 'workflowPath', 'value')),
    trigger: str(at(gh, 'event_name')) ?? str(at(sys, 'GITHUB_EVENT_NAME', 'value')) ?? str(at(gitlab, 'pipeline_source')) ?? str(at(internal, 'trigger')),
    runner: runnerKind(runnerEnv),
    materialsCount: Array.isArray(deps) ? deps.length : 0,
    extraParameters: extra,
    time: str(at(p, 'runDetails', 'metadata', 'startedOn')) ?? str(at(p, 'runDetails', 'metadata', 'finishedOn')),
  };
}

function fromV0(p: Obj, version: SlsaVersion): Facts {
  const materials = at(p, 'materials');
  const firstMat = Array.isArray(materials) ? str(at(materials[0], 'uri')) : undefined;
  const cfgUri = str(at(p, 'invocation', 'configSource', 'uri'));
  const env = at(p, 'invocation', 'environment');
  const params = at(p, 'invocation', 'parameters') ?? at(p, 'recipe', 'arguments', 'substitutions');
  const subs = at(p, 'recipe', 'arguments', 'substitutions');
  const cbRef = str(at(subs, 'TAG_NAME'))
    ? `refs/tags/${str(at(subs, 'TAG_NAME'))}`
    : str(at(subs, 'BRANCH_NAME'))
      ? `refs/heads/${str(at(subs, 'BRANCH_NAME'))}`
      : undefined;
  const repo = normalizeRepo(cfgUri ?? firstMat);
  const inputs = at(env, 'github_event_payload', 'inputs');
  const extra = [...(isObj(params) && version === 'v0.2' ? Object.keys(params) : []), ...(isObj(inputs) ? Object.keys(inputs).map((k) => `inputs.${k}`) : [])];
  return {
    builderId: str(at(p, 'builder', 'id')),
    buildType: str(at(p, 'buildType')) ?? str(at(p, 'recipe', 'type')) ?? '',
    sourceRepo: repo,
    workflowRepo: repo,
    ref: str(at(env, 'github_ref')) ?? str(at(env, 'GITHUB_REF')) ?? refOfUri(cfgUri) ?? cbRef,
    workflowPath: workflowFile(str(at(p, 'invocation', 'configSource', 'entryPoint')) ?? str(at(p, 'recipe', 'entryPoint'))),
    // slsa-github-generator writes github_* keys, the npm CLI (v0.2) the GITHUB_* variables themselves.
    trigger:
      str(at(env, 'github_event_name')) ??
      str(at(env, 'GITHUB_EVENT_NAME')) ??
      (isObj(subs) ? (str(at(subs, 'TRIGGER_NAME')) ? 'trigger' : 'manual') : undefined),
    runner: runnerKind(str(at(env, 'github_runner_environment')) ?? (str(at(p, 'builder', 'id'))?.includes('GoogleHostedWorker') ? 'hosted' : undefined)),
    materialsCount: Array.isArray(materials) ? materials.length : 0,
    extraParameters: extra,
    time: str(at(p, 'metadata', 'buildStartedOn')) ?? str(at(p, 'metadata', 'buildFinishedOn')),
  };
}

/** npm's v0.2 entryPoint is "owner/repo/.github/workflows/x.yml@ref": keep the path inside the repository. */
function workflowFile(e: string | undefined): string | undefined {
  const i = e?.indexOf('.github/workflows/') ?? -1;
  return e !== undefined && i > 0 ? e.slice(i).replace(/@.*$/, '') : e;
}

function runnerKind(v: string | undefined): RunnerKind {
  if (v === undefined) return 'unknown';
  const x = v.toLowerCase();
  if (x.includes('self')) return 'self-hosted';
  if (x.includes('hosted') || x === 'shared' || x === 'instance') return 'hosted';
  return 'unknown';
}

function refKind(ref: string | undefined, trigger: string | undefined): RefKind {
  if (trigger !== undefined && /^pull_request|^merge_request/.test(trigger)) return 'pr';
  if (ref === undefined) return 'none';
  if (ref.startsWith('refs/tags/')) return 'tag';
  if (ref.startsWith('refs/heads/')) return 'branch';
  if (ref.startsWith('refs/pull/') || ref.startsWith('refs/merge-requests/')) return 'pr';
  return 'other';
}

function refOfUri(uri: string | undefined): string | undefined {
  const i = uri?.lastIndexOf('@') ?? -1;
  return uri !== undefined && i > 0 && uri.slice(i + 1).startsWith('refs/') ? uri.slice(i + 1) : undefined;
}

/** "git+https://github.com/Owner/Repo.git@refs/tags/v1" -> "github.com/owner/repo"; a bare "owner/repo" gets github.com. */
export function normalizeRepo(uri: string | undefined): string | undefined {
  if (uri === undefined || uri === '') return undefined;
  let u = uri.replace(/^git\+/, '').replace(/^[a-z]+:\/\//i, '');
  const atRef = u.indexOf('@');
  if (atRef > 0) u = u.slice(0, atRef);
  u = u
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  const parts = u.split('/');
  if (parts.length === 2) return `github.com/${u}`;
  return parts.length >= 3 ? parts.slice(0, 3).join('/') : u;
}
