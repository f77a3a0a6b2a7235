import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProvenanceText } from '../../detectors/provenance/index.js';

/**
 * Statement templates the corpus generator fills in. Four are the real documents of the shared
 * real data (read from there at generation time, never copied into the repository); GitLab's has
 * no real sample there, so it is written from GitLab's public SLSA v1 provenance format
 * (docs.gitlab.com "SLSA provenance"; buildType https://gitlab.com/gitlab-org/gitlab-runner/-/blob/...).
 */
export type TemplateKind = 'gha-generic-v02' | 'gha-workflow-v1' | 'github-attestation-v1' | 'gcb-v01' | 'gitlab-v1';
export const TEMPLATE_KINDS: readonly TemplateKind[] = ['gha-generic-v02', 'gha-workflow-v1', 'github-attestation-v1', 'gcb-v01', 'gitlab-v1'];

export const REAL_TEMPLATE_FILES: Record<Exclude<TemplateKind, 'gitlab-v1'>, string> = {
  'gha-generic-v02': 'slsa/slsa-verifier/gha_generic/v1.2.1/binary-linux-amd64-push-v13.0.30.intoto.jsonl',
  'gha-workflow-v1': 'slsa/slsa-verifier/npm/provenance-npm-test-cli-v1-prega.tgz.json',
  'github-attestation-v1': 'slsa/slsa-verifier/github-attestation/MODULE.bazel.intoto.jsonl',
  'gcb-v01': 'slsa/slsa-verifier/gcb_container/v0.3/gcloud-container-github.json',
};

const GITLAB_V1 = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'app.tar.gz', digest: { sha256: '0'.repeat(64) } }],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: {
    buildDefinition: {
      buildType: 'https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v17.0.0/PROVENANCE.md',
      externalParameters: { source: 'https://gitlab.com/group/project', entryPoint: 'build-job', ref: 'refs/tags/v1.0.0' },
      internalParameters: { gitlab: { pipeline_source: 'push', runner_type: 'instance' }, name: 'GitLab Runner', executor_name: 'docker' },
      resolvedDependencies: [{ uri: 'https://gitlab.com/group/project', digest: { sha256: '0'.repeat(64) } }],
    },
    runDetails: {
      builder: { id: 'https://gitlab.com/gitlab-org/gitlab-runner/-/runners/12345678', version: { 'gitlab-runner': '17.0.0' } },
      metadata: { invocationID: '1', startedOn: '2024-01-01T00:00:00Z', finishedOn: '2024-01-01T00:05:00Z' },
    },
  },
};

/** The template statements, parsed once (deep copies are the caller's business). */
export function loadTemplates(realdataDir: string): Record<TemplateKind, Record<string, unknown>> {
  const real = Object.fromEntries(
    Object.entries(REAL_TEMPLATE_FILES).map(([k, f]) => [k, readProvenanceText(readFileSync(join(realdataDir, f))).statement]),
  ) as Record<Exclude<TemplateKind, 'gitlab-v1'>, Record<string, unknown>>;
  return { ...real, 'gitlab-v1': GITLAB_V1 };
}
