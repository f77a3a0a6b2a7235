/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-explicit-any -- the templates are free-form JSON documents edited in place by path; typing every upstream format would add nothing here */
import { createHash } from 'node:crypto';
import type { SignerIdentity } from '../../core/index.js';
import type { ProvenanceInput } from '../../detectors/provenance/index.js';
import type { TemplateKind } from './templates.js';

/** The facts of one synthetic release; render() writes them where each template's format keeps them. */
export interface Release {
  kind: TemplateKind;
  host: string;
  owner: string;
  repo: string;
  /** Repository the workflow came from (a fork's owner for the fork-workflow anomaly). */
  workflowOwner: string;
  ref: string;
  workflowPath: string;
  trigger: string;
  selfHosted: boolean;
  materials: number;
  builderId: string;
  time: Date;
  subject: string;
  extraParams: Record<string, string>;
  /** Repository the signing certificate names ("owner/repo"), and the workflow identity it signs as. */
  signerRepo: string;
  signerSan: string;
}

type Obj = Record<string, any>;

const sha = (i: number, n = 40) => i.toString(16).padStart(8, '0').repeat(8).slice(0, n);

function materials(r: Release, uri: string, key: string): Obj[] {
  const out: Obj[] = [{ uri, digest: { [key]: sha(r.time.getTime() % 1e9) } }];
  for (let i = 1; i < r.materials; i++) out.push({ uri: `pkg:npm/dep-${i}@1.${i % 7}.0`, digest: { sha256: sha(i, 64) } });
  return r.materials === 0 ? [] : out;
}

export function render(template: Obj, r: Release): ProvenanceInput {
  const s: Obj = structuredClone(template);
  const src = `${r.host}/${r.owner}/${r.repo}`;
  const wfRepo = `https://${r.host}/${r.workflowOwner}/${r.repo}`;
  s.subject = [{ name: r.subject, digest: { sha256: sha(r.time.getTime() % 1e9, 64) } }];
  switch (r.kind) {
    case 'gha-generic-v02': {
      const p = s.predicate;
      p.builder.id = r.builderId;
      p.invocation.configSource = { uri: `git+${wfRepo}@${r.ref}`, digest: { sha1: sha(1) }, entryPoint: r.workflowPath };
      p.invocation.parameters = { ...r.extraParams };
      p.invocation.environment = {
        github_event_name: r.trigger,
        github_ref: r.ref,
        github_repository_owner: r.owner,
        github_event_payload: {},
        github_runner_environment: r.selfHosted ? 'self-hosted' : 'github-hosted',
      };
      p.materials = materials(r, `git+https://${src}@${r.ref}`, 'sha1');
      p.metadata = { ...p.metadata, buildStartedOn: r.time.toISOString() };
      break;
    }
    case 'gha-workflow-v1':
    case 'github-attestation-v1': {
      const bd = s.predicate.buildDefinition;
      bd.externalParameters = { workflow: { ref: r.ref, repository: wfRepo, path: r.workflowPath }, ...r.extraParams };
      bd.internalParameters = {
        github: { event_name: r.trigger, repository_id: '1', repository_owner_id: '2', runner_environment: r.selfHosted ? 'self-hosted' : 'github-hosted' },
      };
      bd.resolvedDependencies = materials(r, `git+https://${src}@${r.ref}`, 'gitCommit');
      s.predicate.runDetails.builder.id = r.builderId;
      s.predicate.runDetails.metadata = { invocationId: `https://${src}/actions/runs/1/attempts/1`, startedOn: r.time.toISOString() };
      break;
    }
    case 'gcb-v01': {
      // The DSSE payload of Cloud Build keeps the predicate under `predicate`, the inline statement under `slsaProvenance`.
      const p = s.predicate ?? s.slsaProvenance;
      p.builder.id = r.builderId;
      p.materials = materials(r, wfRepo, 'sha1');
      p.metadata = { ...p.metadata, buildStartedOn: r.time.toISOString() };
      const tag = r.ref.startsWith('refs/tags/') ? { TAG_NAME: r.ref.slice(10) } : { BRANCH_NAME: r.ref.replace('refs/heads/', '') };
      p.recipe.arguments.substitutions = { REPO_NAME: r.repo, ...tag, ...(r.trigger === 'trigger' ? { TRIGGER_NAME: 'release' } : {}), ...r.extraParams };
      p.recipe.entryPoint = r.workflowPath;
      break;
    }
    case 'gitlab-v1': {
      const bd = s.predicate.buildDefinition;
      bd.externalParameters = { source: wfRepo, entryPoint: r.workflowPath, ref: r.ref, ...r.extraParams };
      bd.internalParameters = { gitlab: { pipeline_source: r.trigger, runner_type: r.selfHosted ? 'self-hosted' : 'instance' } };
      bd.resolvedDependencies = materials(r, `https://${src}`, 'sha256');
      s.predicate.runDetails.builder.id = r.builderId;
      s.predicate.runDetails.metadata = { invocationID: '1', startedOn: r.time.toISOString() };
      break;
    }
  }
  // Cloud Build signs with a KMS key of the project, not a workflow identity.
  const signer: SignerIdentity =
    r.kind === 'gcb-v01'
      ? { kind: 'publicKey', fingerprintSha256: createHash('sha256').update(r.signerSan).digest('hex'), extensions: {} }
      : {
          kind: 'certificate',
          san: r.signerSan,
          issuer: r.host === 'gitlab.com' ? 'https://gitlab.com' : 'https://token.actions.githubusercontent.com',
          extensions: {},
          github: { repository: r.signerRepo },
        };
  return { statement: s, signer, signedAt: r.time.toISOString() };
}
