import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactVerifiedSchema, ArtifactVerifiedEvent, type CloudEvent, imageSubject, makeEvent } from '../../../core/index.js';

/**
 * Events for the provenance detector's tests, built around a REAL SLSA v0.2 provenance from the
 * shared real data (slsa/slsa-verifier/gha_generic/v1.2.1: slsa-github-generator's generic
 * builder, repository slsa-framework/example-package, push of tag v13.0.30; see its MANIFEST.md).
 * The event carries the predicate inline, as collectors/signatures publishes attestations.
 */
export const REAL_DOC = join('slsa', 'slsa-verifier', 'gha_generic', 'v1.2.1', 'binary-linux-amd64-push-v13.0.30.intoto.jsonl');
/** The image the tests pretend the provenance was attached to: same owner/name as the source repository. */
export const IMAGE_REPOSITORY = 'slsa-framework/example-package';

export function realPredicate(realdataDir: string): { predicateType: string; predicate: Record<string, unknown> } {
  const line = readFileSync(join(realdataDir, REAL_DOC), 'utf8').split('\n')[0]!;
  const statement = JSON.parse(Buffer.from((JSON.parse(line) as { payload: string }).payload, 'base64').toString('utf8')) as {
    predicateType: string;
    predicate: Record<string, unknown>;
  };
  return { predicateType: statement.predicateType, predicate: statement.predicate };
}

/** The same provenance as built by a forked builder on a self-hosted runner (two floor rules). */
export function madeAnomalous(predicate: Record<string, unknown>): Record<string, unknown> {
  const p = structuredClone(predicate) as { builder: { id: string }; invocation: { environment: Record<string, unknown> } };
  p.builder.id = 'https://github.com/attacker/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/heads/main';
  p.invocation.environment.github_runner_environment = 'self-hosted';
  return p;
}

let seq = 0;
export interface AttestationOpts {
  predicateType?: string;
  predicate?: unknown;
  verified?: boolean;
  subjectMatches?: boolean;
}

/** A registry.artifact.verified event for one digest carrying the given attestations. */
export function provenanceEvent(digestChar: string, atts: AttestationOpts[], repository = IMAGE_REPOSITORY): CloudEvent {
  const image = { registry: 'ghcr.io', repository, digest: `sha256:${digestChar.repeat(64)}` };
  const data = artifactVerifiedSchema.parse({
    image,
    trigger: { source: 'distribution', deliveryId: `prov-${++seq}`, action: 'push' },
    attestations: atts.map((a) => {
      const text = a.predicate === undefined ? '' : JSON.stringify(a.predicate);
      return {
        format: 'sigstore-bundle',
        foundBy: 'referrers',
        ref: `sha256:${'c'.repeat(64)}`,
        verified: a.verified ?? true,
        predicateType: a.predicateType ?? 'https://slsa.dev/provenance/v0.2',
        subjectMatches: a.subjectMatches ?? true,
        predicateSha256: 'd'.repeat(64),
        predicateBytes: Buffer.byteLength(text),
        ...(a.predicate === undefined ? {} : { predicate: a.predicate }),
      };
    }),
    verdict: 'no_policy',
    checkedAt: '2026-12-01T00:00:00Z',
    validUntil: '2026-12-01T01:00:00Z',
  });
  return makeEvent({ type: ArtifactVerifiedEvent.type, source: 'chainwatch://collectors/signatures', subject: imageSubject(image), data });
}
